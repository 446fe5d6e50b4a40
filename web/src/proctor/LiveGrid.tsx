/** The live grid: sessions in progress, riskiest first, polled every 2 s; new high-severity violations announced. */
import { useRef, useState } from "preact/hooks";
import { formatNumber } from "../shared/i18n/i18n";
import { Heading, Notice, Tag } from "../shared/ui/components";
import { type LiveTile, proctorApi } from "./api";
import { type ExamOption, ExamSelect, type OpenSession } from "./ProctorApp";
import { usePoll, useNow } from "./hooks";
import { consoleError, tr, violationName } from "./i18n";
import {
  ageParts,
  clock,
  examIds,
  isStale,
  isUnread,
  loadReadMarks,
  newestPart,
  newHighSeverity,
  remainingNow,
  secondsSince,
  sortedCounts,
} from "./logic";

export const POLL_MS = 2000;
const LINK_REUSE_MS = 240_000; // presigned links live 5 minutes

const frameLinks = new Map<string, { at: string | null; url: string; since: number }>();

/** The same link while the tile shows the same frame: a link signed anew each poll would reload every image. */
function frameUrl(tile: LiveTile, now: number): string | null {
  if (!tile.latest_frame_url) return null;
  const held = frameLinks.get(tile.session_id);
  if (held && held.at === tile.latest_frame_at && now - held.since < LINK_REUSE_MS) return held.url;
  frameLinks.set(tile.session_id, { at: tile.latest_frame_at, url: tile.latest_frame_url, since: now });
  return tile.latest_frame_url;
}

export function ageText(ageS: number | null): string {
  if (ageS === null) return tr("proctor.seen.never");
  const { unit, n } = ageParts(ageS);
  return tr(`proctor.seen.${unit}`, { n });
}

export function displayName(s: { full_name: string | null; login: string }): string {
  return s.full_name || s.login;
}

function Tile({
  tile,
  serverTime,
  receivedAt,
  now,
  unread,
  onOpen,
}: {
  tile: LiveTile;
  serverTime: string;
  receivedAt: number;
  now: number;
  unread: boolean;
  onOpen: () => void;
}) {
  const age = secondsSince(tile.last_seen_at, serverTime, receivedAt, now);
  const stale = isStale(age);
  const left = remainingNow(tile.remaining_s, tile.paused, receivedAt, now);
  const counts = sortedCounts(tile.violation_counts);
  const name = displayName(tile);
  const frame = frameUrl(tile, now);
  return (
    <li class={`pc-tile ${stale ? "pc-tile--stale" : ""}`} data-session={tile.session_id}>
      <button type="button" class="pc-tile__open" onClick={onOpen} tabIndex={-1} aria-label={tr("proctor.grid.open", { name })}>
        {frame ? (
          <img
            class={`pc-tile__frame${newestPart(frame) === null ? "" : ` pc-part pc-part--${newestPart(frame)}`}`}
            src={frame}
            alt={tr("proctor.grid.frame_alt", { name })}
          />
        ) : (
          <span class="pc-tile__frame pc-tile__frame--none">{tr("proctor.grid.no_frame")}</span>
        )}
      </button>
      <div class="pc-tile__body">
        <p class="pc-tile__name" title={name}>
          <button type="button" class="linkish" onClick={onOpen}>
            {name}
          </button>
        </p>
        <p class="pc-tile__chips">
          {tile.paused ? (
            <Tag kind="yellow">{tr("proctor.status.paused")}</Tag>
          ) : (
            <Tag kind="blue">{tr("proctor.status.in_progress")}</Tag>
          )}
        </p>
      </div>
      {(stale || unread) && (
        <p class="pc-tile__alerts">
          {stale && (
            <span data-testid="no-signal">
              <Tag kind="red">{tr("proctor.grid.no_signal")}</Tag>
            </span>
          )}
          {unread && (
            <span data-testid="unread">
              <Tag kind="yellow">{tr("proctor.grid.unread")}</Tag>
            </span>
          )}
        </p>
      )}
      <dl class="pc-tile__facts">
        <div>
          <dt>{tr("proctor.grid.time_left")}</dt>
          <dd class="pc-num" data-testid="time-left">
            {clock(left)}
          </dd>
        </div>
        <div>
          <dt>{tr("proctor.grid.seen")}</dt>
          <dd data-testid="seen">{ageText(age)}</dd>
        </div>
        {tile.media && (
          <div>
            <dt>{tr("proctor.grid.frames")}</dt>
            <dd class="pc-num" data-testid="frames">
              {tr("proctor.grid.frames_value", {
                received: formatNumber(tile.media.frames_received),
                rejected: formatNumber(tile.media.frames_rejected),
              })}
            </dd>
          </div>
        )}
        {tile.media && (
          <div>
            <dt>{tr("proctor.grid.last_frame")}</dt>
            <dd data-testid="last-frame">
              {ageText(secondsSince(tile.media.last_frame_at, serverTime, receivedAt, now))}
            </dd>
          </div>
        )}
        <div>
          <dt>{tr("proctor.grid.credibility")}</dt>
          <dd class="pc-num" data-testid="credibility">
            {formatNumber(tile.credibility)}
          </dd>
        </div>
      </dl>
      <ul class="pc-tile__violations" aria-label={tr("proctor.grid.violations")}>
        {counts.length === 0 && <li class="pc-muted">{tr("proctor.grid.no_violations")}</li>}
        {counts.map(([type, n]) => (
          <li key={type} data-violation={type}>
            {violationName(type)} <span class="pc-num">×{formatNumber(n)}</span>
          </li>
        ))}
      </ul>
    </li>
  );
}

export function LiveGrid({
  userId,
  exams,
  examId,
  onExam,
  onSeenExams,
  onOpen,
}: {
  userId: string;
  exams: ExamOption[];
  examId: string;
  onExam: (id: string) => void;
  onSeenExams: (ids: string[]) => void;
  onOpen: (s: OpenSession) => void;
}) {
  const [data, setData] = useState<{ tiles: LiveTile[]; serverTime: string; receivedAt: number } | null>(null);
  const [failed, setFailed] = useState<unknown>(null); // the error itself: shown in the current language
  const [announcement, setAnnouncement] = useState("");
  const previous = useRef<Map<string, Record<string, number>> | null>(null);
  const now = useNow(1000);

  usePoll(
    async () => {
      const sent = performance.now();
      try {
        const answer = await proctorApi.live(examId || undefined);
        const receivedAt = (sent + performance.now()) / 2;
        const fresh = newHighSeverity(previous.current, answer.sessions);
        if (fresh.length) {
          const byId = new Map(answer.sessions.map((s) => [s.session_id, s]));
          setAnnouncement(
            fresh
              .map((f) =>
                tr("proctor.grid.announce", { name: displayName(byId.get(f.session_id)!), type: violationName(f.type) }),
              )
              .join(" "),
          );
        }
        previous.current = new Map(answer.sessions.map((s) => [s.session_id, { ...s.violation_counts }]));
        setData({ tiles: answer.sessions, serverTime: answer.server_time, receivedAt });
        setFailed(null);
        onSeenExams(examIds(answer.sessions));
      } catch (error) {
        setFailed(error ?? new Error("failed"));
      }
    },
    POLL_MS,
    [examId],
  );

  const marks = loadReadMarks(userId);
  return (
    <>
      <div class="pc-bar">
        <Heading>{tr("proctor.grid.title")}</Heading>
        <ExamSelect
          exams={exams}
          value={examId}
          onChange={(id) => {
            previous.current = null;
            setData(null);
            onExam(id);
          }}
        />
        {data && (
          <p class="pc-count" data-testid="tile-count">
            {tr("proctor.grid.count", { n: data.tiles.length })}
          </p>
        )}
      </div>
      <div class="sr-only" role="status" aria-live="polite" data-testid="announcer">
        {announcement}
      </div>
      {failed != null && (
        <Notice kind="error" live title={tr("proctor.grid.poll_failed")}>
          <p>{consoleError(failed)}</p>
        </Notice>
      )}
      {!data && failed == null && <p>{tr("common.loading")}</p>}
      {data && data.tiles.length === 0 && <Notice>{tr("proctor.grid.empty")}</Notice>}
      {data && data.tiles.length > 0 && (
        <ul class="pc-grid" data-testid="live-grid">
          {data.tiles.map((tile) => (
            <Tile
              key={tile.session_id}
              tile={tile}
              serverTime={data.serverTime}
              receivedAt={data.receivedAt}
              now={now}
              unread={isUnread(tile.last_candidate_message_at, marks[tile.session_id])}
              onOpen={() => onOpen({ session_id: tile.session_id, name: displayName(tile) })}
            />
          ))}
        </ul>
      )}
    </>
  );
}
