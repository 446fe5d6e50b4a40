/** One session: timeline with evidence, latest frames beside the enrollment photos, the channel and the actions. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../shared/api/client";
import { formatDateTime, formatNumber } from "../shared/i18n/i18n";
import { Button, Dialog, Heading, Notice, Tag, type TagKind } from "../shared/ui/components";
import {
  type ActionAnswer,
  type Breakdown,
  type ChannelMessage,
  type Control,
  type EnrollmentDetail,
  proctorApi,
  type Severity,
  type Timeline,
  type Violation,
} from "./api";
import { type ActionState, usePoll, useNow } from "./hooks";
import { consoleError, formatClockTime, tr, violationName } from "./i18n";
import { clock, evidencePart, later, markRead, newestPart, remainingNow } from "./logic";
import { displayName } from "./LiveGrid";

const SEVERITY_TAG: Record<Severity, TagKind> = { high: "red", medium: "yellow", low: "grey" };

export function SeverityTag({ severity }: { severity: Severity }) {
  return <Tag kind={SEVERITY_TAG[severity] ?? "grey"}>{tr(`proctor.severity.${severity}`)}</Tag>;
}

export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return tr("proctor.duration.s", { n: s });
  return tr("proctor.duration.min_s", { m: Math.floor(s / 60), s: s % 60 });
}

export function BreakdownTable({ breakdown, caption }: { breakdown: Breakdown; caption?: string }) {
  if (!breakdown.lines.length) return <p class="pc-muted">{tr("proctor.breakdown.none")}</p>;
  return (
    <table class="pc-table pc-table--compact">
      {caption && <caption class="pc-caption">{caption}</caption>}
      <thead>
        <tr>
          <th scope="col">{tr("proctor.breakdown.type")}</th>
          <th scope="col" class="pc-right">{tr("proctor.breakdown.count")}</th>
          <th scope="col" class="pc-right">{tr("proctor.breakdown.weight")}</th>
          <th scope="col" class="pc-right">{tr("proctor.breakdown.penalty")}</th>
          <th scope="col" class="pc-right">{tr("proctor.breakdown.duration")}</th>
        </tr>
      </thead>
      <tbody>
        {breakdown.lines.map((line) => (
          <tr key={line.type}>
            <td>{violationName(line.type)}</td>
            <td class="pc-right pc-num">{formatNumber(line.count)}</td>
            <td class="pc-right pc-num">{formatNumber(line.weight, 1)}</td>
            <td class="pc-right pc-num">−{formatNumber(line.penalty, 1)}</td>
            <td class="pc-right pc-num">{line.duration_s ? durationText(line.duration_s) : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Evidence({ violation, onZoom }: { violation: Violation; onZoom: (v: Violation) => void }) {
  if (!violation.evidence_url) return <span class="pc-muted">{tr("proctor.timeline.no_evidence")}</span>;
  if (violation.evidence_kind === "audio") {
    return (
      <audio controls preload="none" src={violation.evidence_url} aria-label={tr("proctor.timeline.audio")}>
        <a href={violation.evidence_url}>{tr("proctor.timeline.audio")}</a>
      </audio>
    );
  }
  const alt = tr(violation.evidence_kind === "screen" ? "proctor.timeline.screen_evidence" : "proctor.timeline.webcam_evidence", {
    type: violationName(violation.type),
  });
  const { frames, part } = violation.evidence_kind === "webcam" ? evidencePart(violation) : { frames: 1, part: null };
  return (
    <button type="button" class="pc-thumb" onClick={() => onZoom(violation)} aria-label={tr("proctor.timeline.enlarge", { what: alt })}>
      <img src={violation.evidence_url} alt={alt} loading="lazy" class={partClass(part)} data-frames={frames} data-part={part ?? undefined} />
    </button>
  );
}

/** A two-frame webcam object (two 4:3 frames stacked) shown as one of its frames: a 4:3 box over the picture,
 * the top or bottom half in view (console.css). */
function partClass(part: number | null): string | undefined {
  return part === null ? undefined : `pc-part pc-part--${part}`;
}

/** The zoomed evidence: the frame the violation refers to, with a switch to see both frames of the object. */
function ZoomedEvidence({ violation }: { violation: Violation }) {
  const [both, setBoth] = useState(false);
  const { frames, part } = violation.evidence_kind === "webcam" ? evidencePart(violation) : { frames: 1, part: null };
  const alt = violationName(violation.type);
  if (part === null) {
    return (
      <>
        <img class="pc-zoom" src={violation.evidence_url ?? undefined} alt={alt} />
        {frames > 1 && <p class="pc-small">{tr("proctor.zoom.both_frames")}</p>}
      </>
    );
  }
  return (
    <>
      {both ? (
        <img class="pc-zoom pc-zoom--pair" src={violation.evidence_url ?? undefined} alt={alt} data-testid="zoom-both" />
      ) : (
        <div class="pc-zoom pc-zoom--frame">
          <img src={violation.evidence_url ?? undefined} alt={alt} class={partClass(part)} data-testid="zoom-frame" />
        </div>
      )}
      <p class="pc-small">
        {both ? tr("proctor.zoom.both_frames") : tr(part === 0 ? "proctor.zoom.earlier_frame" : "proctor.zoom.later_frame")}{" "}
        <button type="button" class="linkish" id="zoom-both" aria-pressed={both} onClick={() => setBoth(!both)}>
          {tr(both ? "proctor.zoom.show_one" : "proctor.zoom.show_both")}
        </button>
      </p>
    </>
  );
}

function TimelineList({ violations, onZoom }: { violations: Violation[]; onZoom: (v: Violation) => void }) {
  if (!violations.length) return <p class="pc-muted">{tr("proctor.timeline.empty")}</p>;
  return (
    <ol class="pc-timeline" data-testid="timeline">
      {violations.map((v) => (
        <li key={v.violation_id} data-violation={v.type}>
          <div class="pc-timeline__head">
            <strong>{violationName(v.type)}</strong> <SeverityTag severity={v.severity} />{" "}
            <span class="pc-muted">
              {tr(v.source === "browser" ? "proctor.source.browser" : v.source === "server" ? "proctor.source.server" : "proctor.source.analyzer")}
            </span>
          </div>
          <div class="pc-timeline__meta">
            <time dateTime={v.occurred_at}>{formatClockTime(v.occurred_at)}</time>
            {v.ended_at && !v.open && (
              <span>
                {" · "}
                {tr("proctor.timeline.lasted", {
                  duration: durationText((Date.parse(v.ended_at) - Date.parse(v.occurred_at)) / 1000),
                })}
              </span>
            )}
            {v.open && <span> · {tr("proctor.timeline.ongoing")}</span>}
          </div>
          <Evidence violation={v} onZoom={onZoom} />
        </li>
      ))}
    </ol>
  );
}

function Photo({ url, label, empty, part = null }: { url: string | null | undefined; label: string; empty: string; part?: number | null }) {
  return (
    <figure class="pc-photo">
      {url ? <img src={url} alt={label} class={partClass(part)} /> : <span class="pc-photo__none">{empty}</span>}
      <figcaption>{label}</figcaption>
    </figure>
  );
}

const KIND_TAG: Record<ChannelMessage["kind"], TagKind> = {
  chat: "blue",
  warning: "yellow",
  pause: "yellow",
  resume: "green",
  terminate: "red",
  note: "grey",
};

function MessageLine({ message }: { message: ChannelMessage }) {
  const fromCandidate = message.author_role === "candidate";
  return (
    <li class={`pc-msg pc-msg--${message.kind} ${fromCandidate ? "pc-msg--candidate" : ""}`} data-kind={message.kind}>
      <div class="pc-msg__head">
        <Tag kind={KIND_TAG[message.kind] ?? "grey"}>{tr(`proctor.msg.${message.kind}`)}</Tag>{" "}
        <span class="pc-msg__who">
          {fromCandidate ? tr("proctor.msg.from_candidate") : tr("proctor.msg.from_proctor", { id: message.author_login ?? "" })}
        </span>{" "}
        <time class="pc-muted" dateTime={message.created_at}>
          {formatClockTime(message.created_at)}
        </time>
      </div>
      {message.text && <p class="pc-msg__text">{message.text}</p>}
      {message.kind === "warning" && (
        <p class="pc-msg__ack" data-testid="ack">
          {message.acknowledged_at
            ? tr("proctor.msg.acknowledged_at", { time: formatClockTime(message.acknowledged_at) })
            : tr("proctor.msg.not_acknowledged")}
        </p>
      )}
    </li>
  );
}

function StateLine({ state, id }: { state: ActionState; id: string }) {
  return (
    <span class="pc-state" role="status" id={id} data-state={state.state}>
      {state.state === "pending" && tr("proctor.action.pending")}
      {state.state === "done" && <Tag kind="green">{state.text()}</Tag>}
      {state.state === "failed" && <Tag kind="red">{state.text()}</Tag>}
    </span>
  );
}

type ActionName = "warn" | "pause" | "resume" | "terminate" | "chat" | "note";

function TextAction({
  name,
  label,
  button,
  value,
  onInput,
  onSubmit,
  state,
  error,
  disabled,
  variant = "secondary",
  rows = 2,
}: {
  name: ActionName;
  label: string;
  button: string;
  value: string;
  onInput: (v: string) => void;
  onSubmit: () => void;
  state: ActionState;
  error?: string;
  disabled?: boolean;
  variant?: "primary" | "secondary" | "warning";
  rows?: number;
}) {
  const id = `${name}-text`;
  return (
    <form
      class={`pc-action ${error ? "field--error" : ""}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <label for={id}>{label}</label>
      {error && (
        <span class="error-message" id={`${id}-error`}>
          {error}
        </span>
      )}
      <textarea
        id={id}
        class="pc-input"
        rows={rows}
        maxLength={2000}
        value={value}
        aria-describedby={error ? `${id}-error` : undefined}
        onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
        disabled={disabled}
      />
      <div class="pc-action__row">
        <Button type="submit" variant={variant} id={`${name}-submit`} busy={state.state === "pending"} disabled={disabled}>
          {button}
        </Button>
        <StateLine state={state} id={`${name}-state`} />
      </div>
    </form>
  );
}

const IDLE: ActionState = { state: "idle" };

export function SessionView({ userId, sessionId }: { userId: string; sessionId: string }) {
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [timelineError, setTimelineError] = useState<unknown>(null); // the error itself: shown in the current language
  const [enrollment, setEnrollment] = useState<EnrollmentDetail | "none" | "failed" | null>(null);
  const [messages, setMessages] = useState<ChannelMessage[]>([]);
  const [control, setControl] = useState<{ control: Control; receivedAt: number } | null>(null);
  const [changed, setChanged] = useState(false);
  const [zoom, setZoom] = useState<Violation | null>(null);
  const [confirmTerminate, setConfirmTerminate] = useState(false);
  const [texts, setTexts] = useState<Record<ActionName, string>>({ warn: "", pause: "", resume: "", terminate: "", chat: "", note: "" });
  const [states, setStates] = useState<Record<ActionName, ActionState>>({
    warn: IDLE, pause: IDLE, resume: IDLE, terminate: IDLE, chat: IDLE, note: IDLE,
  });
  const [errors, setErrors] = useState<Partial<Record<ActionName, string>>>({}); // keys of the messages
  const cursor = useRef<string | null>(null);
  const polls = useRef(0);
  const rev = useRef<number | null>(null);
  const now = useNow(1000);
  const channelEnd = useRef<HTMLOListElement>(null);

  // Evidence links are re-signed on every timeline poll; keep the first one for a while, so a playing recording
  // or an open image is not reloaded under the proctor (links live 5 minutes).
  const evidenceLinks = useRef(new Map<string, { url: string; at: number }>());
  const stableEvidence = (violations: Violation[]): Violation[] => {
    const nowMs = performance.now();
    return violations.map((v) => {
      if (!v.evidence_url) return v;
      const known = evidenceLinks.current.get(v.violation_id);
      if (known && nowMs - known.at < 240_000) return { ...v, evidence_url: known.url };
      evidenceLinks.current.set(v.violation_id, { url: v.evidence_url, at: nowMs });
      return v;
    });
  };

  const loadTimeline = async () => {
    try {
      const answer = await proctorApi.timeline(sessionId);
      setTimeline({ ...answer, violations: stableEvidence(answer.violations) });
      setTimelineError(null);
      if (rev.current === null || answer.session.control_rev > rev.current) rev.current = answer.session.control_rev;
      markRead(userId, sessionId, answer.session.last_candidate_message_at);
    } catch (error) {
      setTimelineError(error ?? new Error("failed"));
    }
  };

  const loadMessages = async (full = false) => {
    const sent = performance.now();
    const answer = await proctorApi.messages(sessionId, full ? null : cursor.current);
    const receivedAt = (sent + performance.now()) / 2;
    if (full) setMessages(answer.messages);
    else if (answer.messages.length) {
      setMessages((old) => {
        const known = new Set(old.map((m) => m.message_id));
        return [...old, ...answer.messages.filter((m) => !known.has(m.message_id))];
      });
    }
    if (answer.cursor) cursor.current = answer.cursor;
    rev.current = Math.max(rev.current ?? 0, answer.session.control_rev); // a late answer never moves it back
    setControl({ control: answer.session, receivedAt });
    const lastFromCandidate = answer.messages
      .filter((m) => m.author_role === "candidate")
      .reduce<string | null>((at, m) => later(at, m.created_at), null);
    if (lastFromCandidate) markRead(userId, sessionId, lastFromCandidate);
  };

  usePoll(loadTimeline, 5000, [sessionId]);
  usePoll(
    async () => {
      polls.current += 1;
      // Acknowledgements change old lines: while a warning waits for one, reread the whole channel now and then.
      const waiting = messages.some((m) => m.kind === "warning" && !m.acknowledged_at);
      await loadMessages(cursor.current === null || (waiting && polls.current % 3 === 0));
    },
    2000,
    [sessionId],
  );

  useEffect(() => {
    setEnrollment(null);
    if (!timeline) return;
    proctorApi.enrollment(timeline.session.exam_id, timeline.session.candidate_id).then(
      (detail) => setEnrollment(detail),
      (error) => setEnrollment(error instanceof ApiError && error.status === 404 ? "none" : "failed"),
    );
  }, [timeline?.session.session_id]);

  useEffect(() => {
    channelEnd.current?.lastElementChild?.scrollIntoView?.({ block: "nearest" });
  }, [messages.length]);

  const setState = (name: ActionName, state: ActionState) => setStates((old) => ({ ...old, [name]: state }));
  const setText = (name: ActionName, value: string) => setTexts((old) => ({ ...old, [name]: value }));

  const refreshAll = async () => {
    cursor.current = null;
    await Promise.allSettled([loadMessages(true), loadTimeline()]);
  };

  const run = async (name: ActionName, call: (rev: number) => Promise<ActionAnswer>) => {
    setChanged(false);
    if (name === "pause") setState("resume", IDLE);
    if (name === "resume") setState("pause", IDLE);
    setState(name, { state: "pending" });
    try {
      if (rev.current === null) await loadMessages(true);
      const answer = await call(rev.current ?? 0);
      if (typeof answer.control_rev === "number") rev.current = answer.control_rev;
      setState(name, { state: "done", text: () => tr(`proctor.action.${name}.done`) });
      setText(name, "");
      await Promise.allSettled([loadMessages(), name === "terminate" ? loadTimeline() : Promise.resolve()]);
    } catch (error) {
      if (error instanceof ApiError && error.code === "session.changed") {
        setChanged(true);
        setState(name, { state: "failed", text: () => tr("proctor.action.changed_short") });
        await refreshAll();
      } else {
        setState(name, { state: "failed", text: () => consoleError(error) });
      }
    }
  };

  const required = (name: ActionName, messageKey: string): boolean => {
    const missing = !texts[name].trim();
    setErrors((old) => ({ ...old, [name]: missing ? messageKey : undefined }));
    if (missing) document.getElementById(`${name}-text`)?.focus();
    return !missing;
  };

  const summary = timeline?.session;
  const c = control?.control;
  const inProgress = (c?.status ?? summary?.status) === "in_progress" && !(c?.terminated ?? summary?.terminated);
  const paused = c?.paused ?? summary?.paused ?? false;
  const name = summary ? displayName(summary) : sessionId;
  const left = c ? remainingNow(c.remaining_s, c.paused, control!.receivedAt, now) : null;

  return (
    <div class="pc-session" data-session={sessionId}>
      <div class="pc-bar">
        <Heading caption={tr("proctor.session.caption")}>{name}</Heading>
        {summary && (
          <p class="pc-session__facts">
            <span>{tr("proctor.session.candidate_id", { id: summary.login })}</span>
            <span>{tr("proctor.session.exam", { id: summary.exam_id })}</span>
            <span data-testid="session-status">
              {!inProgress ? (
                <Tag kind={c?.terminated || summary.terminated ? "red" : "grey"}>
                  {tr(c?.terminated || summary.terminated ? "proctor.status.terminated" : `proctor.status.${summary.status}`)}
                </Tag>
              ) : paused ? (
                <Tag kind="yellow">{tr("proctor.status.paused")}</Tag>
              ) : (
                <Tag kind="blue">{tr("proctor.status.in_progress")}</Tag>
              )}
            </span>
            {inProgress && left !== null && (
              <span>
                {tr("proctor.grid.time_left")}: <strong class="pc-num" data-testid="session-time-left">{clock(left)}</strong>
              </span>
            )}
            <span>
              {tr("proctor.grid.credibility")}: <strong class="pc-num">{formatNumber(summary.credibility)}</strong>
            </span>
          </p>
        )}
      </div>
      {changed && (
        <Notice kind="warning" live title={tr("proctor.session.changed_title")}>
          <p data-testid="changed">{tr("proctor.session.changed")}</p>
        </Notice>
      )}
      {timelineError != null && (
        <Notice kind="error" live>
          <p>{consoleError(timelineError)}</p>
        </Notice>
      )}
      {!timeline && timelineError == null && <p>{tr("common.loading")}</p>}
      {timeline && (
        <div class="pc-session__grid">
          <section class="pc-panel" aria-labelledby="media-title">
            <h2 class="pc-h2" id="media-title">
              {tr("proctor.session.media")}
            </h2>
            <div class="pc-photos">
              <Photo
                url={timeline.latest_frame_url}
                label={tr("proctor.session.latest_frame")}
                empty={tr("proctor.grid.no_frame")}
                part={newestPart(timeline.latest_frame_url)}
              />
              <Photo url={timeline.latest_screen_url} label={tr("proctor.session.latest_screen")} empty={tr("proctor.session.no_screen")} />
            </div>
            <h3 class="pc-h3">{tr("proctor.session.enrollment")}</h3>
            {enrollment === null && <p>{tr("common.loading")}</p>}
            {enrollment === "none" && (
              <p class="pc-muted" data-testid="no-enrollment">
                {tr("proctor.session.no_enrollment")}
              </p>
            )}
            {enrollment === "failed" && <p>{tr("proctor.session.enrollment_failed")}</p>}
            {enrollment && typeof enrollment === "object" && (
              <>
                <p>
                  <Tag kind={enrollment.status === "rejected" ? "red" : enrollment.status === "pending" ? "grey" : "green"}>
                    {tr(`proctor.enrollment.status.${enrollment.status}`)}
                  </Tag>
                </p>
                <div class="pc-photos">
                  <Photo url={enrollment.selfie_url} label={tr("proctor.enrollment.selfie")} empty={tr("proctor.enrollment.no_photo")} />
                  <Photo
                    url={enrollment.id_document_url}
                    label={tr("proctor.enrollment.document")}
                    empty={tr("proctor.enrollment.no_photo")}
                  />
                </div>
              </>
            )}
            <h3 class="pc-h3">{tr("proctor.breakdown.title")}</h3>
            <p class="pc-small">
              {tr("proctor.breakdown.formula", { score: timeline.credibility_breakdown.score })}
            </p>
            <BreakdownTable breakdown={timeline.credibility_breakdown} />
          </section>
          <section class="pc-panel" aria-labelledby="timeline-title">
            <h2 class="pc-h2" id="timeline-title">
              {tr("proctor.timeline.title")}{" "}
              <span class="pc-muted">({formatNumber(timeline.violations.length)})</span>
            </h2>
            <TimelineList violations={timeline.violations} onZoom={setZoom} />
          </section>
          <section class="pc-panel" aria-labelledby="channel-title">
            <h2 class="pc-h2" id="channel-title">
              {tr("proctor.channel.title")}
            </h2>
            <ol class="pc-channel" aria-live="polite" aria-relevant="additions" ref={channelEnd} data-testid="channel">
              {messages.length === 0 && <li class="pc-muted">{tr("proctor.channel.empty")}</li>}
              {messages.map((m) => (
                <MessageLine key={m.message_id} message={m} />
              ))}
            </ol>
            <TextAction
              name="chat"
              label={tr("proctor.action.chat.label")}
              button={tr("proctor.action.chat.button")}
              value={texts.chat}
              onInput={(v) => setText("chat", v)}
              state={states.chat}
              error={errors.chat && tr(errors.chat)}
              disabled={!inProgress}
              rows={1}
              onSubmit={() => required("chat", "proctor.action.chat.required") && run("chat", () => proctorApi.chat(sessionId, texts.chat.trim()))}
            />
            <h3 class="pc-h3">{tr("proctor.action.title")}</h3>
            {!inProgress && <p class="pc-muted">{tr("proctor.action.finished")}</p>}
            <TextAction
              name="warn"
              label={tr("proctor.action.warn.label")}
              button={tr("proctor.action.warn.button")}
              value={texts.warn}
              onInput={(v) => setText("warn", v)}
              state={states.warn}
              error={errors.warn && tr(errors.warn)}
              disabled={!inProgress}
              onSubmit={() =>
                required("warn", "proctor.action.warn.required") && run("warn", (r) => proctorApi.warn(sessionId, texts.warn.trim(), r))
              }
            />
            {!paused ? (
              <TextAction
                name="pause"
                label={tr("proctor.action.pause.label")}
                button={tr("proctor.action.pause.button")}
                value={texts.pause}
                onInput={(v) => setText("pause", v)}
                state={states.pause}
                error={errors.pause && tr(errors.pause)}
                disabled={!inProgress}
                onSubmit={() =>
                  required("pause", "proctor.action.pause.required") &&
                  run("pause", (r) => proctorApi.pause(sessionId, texts.pause.trim(), r))
                }
              />
            ) : (
              <TextAction
                name="resume"
                label={tr("proctor.action.resume.label")}
                button={tr("proctor.action.resume.button")}
                value={texts.resume}
                onInput={(v) => setText("resume", v)}
                state={states.resume}
                disabled={!inProgress}
                variant="primary"
                onSubmit={() => run("resume", (r) => proctorApi.resume(sessionId, texts.resume.trim(), r))}
              />
            )}
            {/* pause and resume swap places: the one just used keeps showing how it went */}
            {states.pause.state !== "idle" && paused && <StateLine state={states.pause} id="pause-state" />}
            {states.resume.state !== "idle" && !paused && <StateLine state={states.resume} id="resume-state" />}
            <TextAction
              name="terminate"
              label={tr("proctor.action.terminate.label")}
              button={tr("proctor.action.terminate.button")}
              value={texts.terminate}
              onInput={(v) => setText("terminate", v)}
              state={states.terminate}
              error={errors.terminate && tr(errors.terminate)}
              disabled={!inProgress}
              variant="warning"
              onSubmit={() => required("terminate", "proctor.action.terminate.required") && setConfirmTerminate(true)}
            />
            <TextAction
              name="note"
              label={tr("proctor.action.note.label")}
              button={tr("proctor.action.note.button")}
              value={texts.note}
              onInput={(v) => setText("note", v)}
              state={states.note}
              error={errors.note && tr(errors.note)}
              onSubmit={() => required("note", "proctor.action.note.required") && run("note", () => proctorApi.note(sessionId, texts.note.trim()))}
            />
          </section>
        </div>
      )}
      {zoom && zoom.evidence_url && (
        <Dialog title={violationName(zoom.type)} onClose={() => setZoom(null)} labelledBy="zoom-title">
          <p class="pc-small">
            {formatDateTime(zoom.occurred_at)} · <SeverityTag severity={zoom.severity} />
          </p>
          <ZoomedEvidence violation={zoom} key={zoom.violation_id} />
          <Button variant="secondary" onClick={() => setZoom(null)} id="zoom-close">
            {tr("proctor.common.close")}
          </Button>
        </Dialog>
      )}
      {confirmTerminate && (
        <Dialog title={tr("proctor.action.terminate.confirm_title", { name })} onClose={() => setConfirmTerminate(false)} labelledBy="terminate-title">
          <p>{tr("proctor.action.terminate.confirm_body")}</p>
          <p>
            <strong>{tr("proctor.action.terminate.reason")}</strong> {texts.terminate}
          </p>
          <Button
            variant="warning"
            id="terminate-yes"
            onClick={() => {
              setConfirmTerminate(false);
              run("terminate", (r) => proctorApi.terminate(sessionId, texts.terminate.trim(), r));
            }}
          >
            {tr("proctor.action.terminate.yes")}
          </Button>
          <Button variant="secondary" id="terminate-no" onClick={() => setConfirmTerminate(false)}>
            {tr("proctor.common.cancel")}
          </Button>
        </Dialog>
      )}
    </div>
  );
}
