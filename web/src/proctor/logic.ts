/** Pure rules of the console: countdowns, last-seen ages, staleness, unread chat, new high-severity violations. */

/** A session silent for longer than this is shown as "no signal". An unwatched candidate heartbeats every 20 s
 * (chalicelib/exam/presence.py BEAT_IDLE_S), so its age normally climbs to ~22 s: 45 s is two missed beats and some
 * slack (a slow request, a throttled timer), the same window after which the server lets another tab take over. */
export const STALE_AFTER_S = 45;

/** Violation types of high severity (chalicelib/violations/catalog.py): announced as they appear. */
export const HIGH_SEVERITY = new Set([
  "multiple_faces",
  "face_mismatch",
  "second_client",
  "second_screen",
  "screen_share_ended",
  "camera_ended",
  "microphone_ended",
  "camera_missing",
  "media_rejected",
  "media_reupload",
]);

/** "mm:ss" (or "h:mm:ss" from an hour); never negative. */
export function clock(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/**
 * Time left now, from the server's `remaining_s` at the poll and the local monotonic time since the answer
 * arrived (the browser's wall clock is never read). A paused session's time stands still.
 */
export function remainingNow(remaining_s: number, paused: boolean, receivedAtMs: number, nowMs: number): number {
  if (paused) return Math.max(0, remaining_s);
  return Math.max(0, remaining_s - Math.max(0, nowMs - receivedAtMs) / 1000);
}

/** Seconds since the session was last seen, measured on the server's clock (its `server_time` at the poll). */
export function secondsSince(
  lastSeenIso: string | null,
  serverTimeIso: string,
  receivedAtMs: number,
  nowMs: number,
): number | null {
  if (!lastSeenIso) return null;
  const atPoll = (Date.parse(serverTimeIso) - Date.parse(lastSeenIso)) / 1000;
  return Math.max(0, atPoll + Math.max(0, nowMs - receivedAtMs) / 1000);
}

export function isStale(ageS: number | null): boolean {
  return ageS === null || ageS > STALE_AFTER_S;
}

/** How an age reads: seconds under a minute, then minutes, then hours; `unit` picks the localized template. */
export function ageParts(ageS: number): { unit: "s" | "min" | "h"; n: number } {
  const s = Math.floor(ageS);
  if (s < 60) return { unit: "s", n: s };
  if (s < 3600) return { unit: "min", n: Math.floor(s / 60) };
  return { unit: "h", n: Math.floor(s / 3600) };
}

export type ReadMarks = Record<string, string>;

/** Unread when the candidate wrote after what this console last read (ISO times compared as instants). */
export function isUnread(lastCandidateMessageAt: string | null, readAt: string | undefined): boolean {
  if (!lastCandidateMessageAt) return false;
  if (!readAt) return true;
  return Date.parse(lastCandidateMessageAt) > Date.parse(readAt);
}

/** The later of two ISO instants (either may be missing). */
export function later(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

const READ_KEY = "proctor-console.read";

export function loadReadMarks(userId: string, storage: Pick<Storage, "getItem"> = localStorage): ReadMarks {
  try {
    const raw = storage.getItem(`${READ_KEY}.${userId}`);
    return raw ? (JSON.parse(raw) as ReadMarks) : {};
  } catch {
    return {};
  }
}

export function markRead(
  userId: string,
  sessionId: string,
  at: string | null,
  storage: Pick<Storage, "getItem" | "setItem"> = localStorage,
): ReadMarks {
  const marks = loadReadMarks(userId, storage);
  const next = later(marks[sessionId], at);
  if (next && next !== marks[sessionId]) {
    marks[sessionId] = next;
    try {
      storage.setItem(`${READ_KEY}.${userId}`, JSON.stringify(marks));
    } catch {
      // storage full or unavailable: the marker comes back after a reload, nothing worse
    }
  }
  return marks;
}

export interface Counted {
  session_id: string;
  violation_counts: Record<string, number>;
}

/**
 * High-severity violations that appeared since the previous poll: per session, each type whose count rose.
 * The first poll (no previous) announces nothing: those were there before the console opened.
 */
export function newHighSeverity(
  previous: Map<string, Record<string, number>> | null,
  current: Counted[],
): { session_id: string; type: string; added: number }[] {
  if (!previous) return [];
  const found: { session_id: string; type: string; added: number }[] = [];
  for (const session of current) {
    const before = previous.get(session.session_id) ?? {};
    for (const [type, n] of Object.entries(session.violation_counts)) {
      const added = n - (before[type] ?? 0);
      if (added > 0 && HIGH_SEVERITY.has(type)) found.push({ session_id: session.session_id, type, added });
    }
  }
  return found;
}

/** Open violations, largest count first, then by name: what a tile lists. */
export function sortedCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Exam ids seen in sessions, in first-seen order, without repeats. */
export function examIds(sessions: { exam_id: string }[]): string[] {
  return [...new Set(sessions.map((s) => s.exam_id))];
}

/** Webcam frames in one stored object, from its key or a link to it: `<name>.f2.jpg` holds two frames stacked
 * vertically (earlier on top: chalicelib/media/uploads.py), any other name one. */
export function framesIn(keyOrUrl: string | null | undefined): number {
  if (!keyOrUrl) return 1;
  let path = keyOrUrl.split(/[?#]/, 1)[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    // not URL-encoded: the key as it is
  }
  return /\.f2\.jpg$/.test(path) ? 2 : 1;
}

/** Which frame of its evidence a violation refers to: `part` 0 (top, earlier) or 1 (bottom, later) of a two-frame
 * object, from the violation's details (`part`, `frames`); null for a single frame, or a pair whose details do not
 * say (the whole picture is shown then). */
export function evidencePart(violation: { evidence_key: string | null; details?: Record<string, unknown> | null }): {
  frames: number;
  part: number | null;
} {
  const frames = framesIn(violation.evidence_key);
  if (frames === 1) return { frames, part: null };
  const part = violation.details?.part;
  const said = violation.details?.frames;
  const valid = typeof part === "number" && Number.isInteger(part) && part >= 0 && part < frames && said === frames;
  return { frames, part: valid ? part : null };
}

/** The live tile shows the newest frame of the latest object: the bottom one of a pair. */
export function newestPart(keyOrUrl: string | null | undefined): number | null {
  const frames = framesIn(keyOrUrl);
  return frames > 1 ? frames - 1 : null;
}
