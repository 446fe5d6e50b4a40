/**
 * The candidate's side of the live channel with the proctor: the inbox's messages, the session's control state
 * (paused, terminated), what is new, unread and still to acknowledge. The logic is pure (unit-tested); the poller
 * below drives it against GET /sessions/{id}/inbox.
 *
 * The inbox is fetched when the heartbeat says there is something new (inboxSignal, called by the monitor with each
 * heartbeat's answer): a newer proctor message than the page has, another control revision (warn, pause, resume,
 * terminate), or another number of violations (the candidate's log). So a warning reaches the page within one
 * heartbeat (every 5 s while a proctor watches the session, every 20 s otherwise) and a quiet session costs no inbox
 * calls. Only while no heartbeat answer carries the signal (an older
 * API, the heartbeat failing) does the poller fall back to polling every POLL_MS.
 *
 * Two marks per session live in sessionStorage (F5 keeps them, a new tab starts afresh):
 *  - `cursor`: the newest message id already received; after F5 the history is fetched again (without `since`) to
 *    be shown, but nothing at or before the cursor is announced again;
 *  - `read`: the newest message id the candidate has seen with the chat panel open (the unread count is after it).
 */
import { api } from "../shared/api/client";
import type { ChannelMessage, SessionControl } from "../shared/api/types";

// The fallback: every 5 s while the heartbeat carries no signal; docs/ARCHITECTURE.md "Live updates" has the cost.
export const POLL_MS = 5000;
/** A signal older than this (the heartbeat failing or answering without one) turns the fallback polling on. The
 * heartbeat comes every 20 s while no proctor watches (monitoring.ts, next_heartbeat_s): two such beats and some
 * slack, so a quiet session never falls back between two healthy beats. */
export const SIGNAL_STALE_MS = 45000;
/** How often one and the same signal may trigger a fetch that did not catch up with it (an eventually consistent
 * read may lag the mark a moment; a mark whose message was never written must not cost a fetch per heartbeat). */
export const MAX_TRIES_PER_SIGNAL = 3;

/** What a heartbeat answer says about the channel (POST /sessions/{id}/heartbeat: `control_rev`, `inbox`). */
export interface InboxSignal {
  latestId: string | null;
  controlRev: number | null;
  violations: number | null;
}

/** Whether the page is behind what the heartbeat reported: a newer message, another revision or violation count. */
export function behind(signal: InboxSignal, messages: ChannelMessage[], control: SessionControl | null): boolean {
  if (control === null) return true;
  const newest = messages.length ? messages[messages.length - 1].message_id : null;
  if (signal.latestId !== null && (newest === null || signal.latestId > newest)) return true;
  if (signal.controlRev !== null && signal.controlRev !== control.control_rev) return true;
  if (signal.violations !== null) {
    const counted = Object.values(control.violation_counts ?? {}).reduce((a, b) => a + b, 0);
    if (signal.violations !== counted) return true;
  }
  return false;
}

const pollers = new Map<string, InboxPoller>();

/** The monitor's heartbeat answered: tell the session's poller (if the channel is running). */
export function inboxSignal(sessionId: string, signal: InboxSignal): void {
  pollers.get(sessionId)?.signal(signal);
}

export interface Marks {
  cursor: string | null;
  read: string | null;
}

const marksKey = (sessionId: string) => `proctor.inbox.${sessionId}`;

export function loadMarks(sessionId: string, storage: Pick<Storage, "getItem"> = sessionStorage): Marks {
  try {
    const raw = JSON.parse(storage.getItem(marksKey(sessionId)) ?? "null") as Partial<Marks> | null;
    return { cursor: raw?.cursor ?? null, read: raw?.read ?? null };
  } catch {
    return { cursor: null, read: null };
  }
}

export function saveMarks(sessionId: string, marks: Marks, storage: Pick<Storage, "setItem"> = sessionStorage): void {
  try {
    storage.setItem(marksKey(sessionId), JSON.stringify(marks));
  } catch {
    // storage unavailable: the marks last for this page only
  }
}

/** Message ids sort by time (the API's promise), so plain string order is time order. */
const after = (id: string, mark: string | null) => mark === null || id > mark;

/** The union of what we had and what arrived, one copy per id (the newer copy wins: it may carry an ack), in order. */
export function mergeMessages(known: ChannelMessage[], incoming: ChannelMessage[]): ChannelMessage[] {
  const byId = new Map(known.map((m) => [m.message_id, m]));
  for (const m of incoming) byId.set(m.message_id, m);
  return [...byId.values()].sort((a, b) => (a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0));
}

export const fromProctor = (m: ChannelMessage) => m.author_role !== "candidate";

/** The messages that arrived after the mark and came from the proctor: to announce (aria-live) once. */
export function fresh(messages: ChannelMessage[], mark: string | null): ChannelMessage[] {
  return messages.filter((m) => fromProctor(m) && after(m.message_id, mark));
}

/** Proctor messages the candidate has not seen with the panel open. */
export function unreadCount(messages: ChannelMessage[], read: string | null): number {
  return fresh(messages, read).length;
}

/** Warnings still waiting for "I understand", oldest first (they stay, also after F5, until acknowledged). */
export function openWarnings(messages: ChannelMessage[], acknowledgedHere: ReadonlySet<string> = new Set()) {
  return messages.filter((m) => m.kind === "warning" && !m.acknowledged_at && !acknowledgedHere.has(m.message_id));
}

/** The text the overlay shows while paused: the latest pause message's. */
export function pauseText(messages: ChannelMessage[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].kind === "pause") return messages[i].text;
  return null;
}

/** The newest id among the messages and the previous mark. */
export function newestId(messages: ChannelMessage[], mark: string | null): string | null {
  const last = messages.length ? messages[messages.length - 1].message_id : null;
  if (last === null) return mark;
  return mark === null || last > mark ? last : mark;
}

/** A key that changes whenever the server records a new violation (to refresh the candidate's log). */
export function countsKey(counts: Record<string, number> | undefined | null): string {
  if (!counts) return "";
  return Object.keys(counts)
    .sort()
    .map((k) => `${k}:${counts[k]}`)
    .join(",");
}

export interface ChannelSnapshot {
  messages: ChannelMessage[];
  control: SessionControl | null;
  /** Proctor messages that arrived since the page knew of them (not on F5's history fetch). */
  arrived: ChannelMessage[];
  /** When the control state was received, on the monotonic clock (for the timer's re-sync). */
  receivedAt: number;
  sentAt: number;
}

const PAGE_LIMIT = 200; // the server's page: a full page means there may be more

/**
 * Fetches the inbox when started, when a heartbeat signals something new, and at once when the network comes back;
 * every POLL_MS only while no fresh signal arrives. The first fetch has no `since` (the history, to render); later
 * ones pass the cursor.
 */
export class InboxPoller {
  private messages: ChannelMessage[] = [];
  private cursor: string | null = null;
  private marks: Marks;
  private timer: number | null = null;
  private running = false;
  private busy = false;
  private first = true;
  private signalAt = -Infinity;
  private signalKey = "";
  private tries = 0;
  private readonly onOnline = () => void this.poll();
  /** Inbox fetches so far (the browser tests count them). */
  fetches = 0;
  /** The screen showing the test listens (the block list in between does not: the poller keeps running). */
  listener: ((snapshot: ChannelSnapshot) => void) | null = null;
  last: ChannelSnapshot | null = null;

  constructor(
    readonly sessionId: string,
    private readonly fetchInbox = api.inbox,
  ) {
    this.marks = loadMarks(sessionId);
  }

  get read(): string | null {
    return this.marks.read;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    pollers.set(this.sessionId, this);
    window.addEventListener("online", this.onOnline);
    void this.poll();
  }

  /** A heartbeat's answer: fetch if the page is behind it (at most MAX_TRIES_PER_SIGNAL times for one signal). */
  signal(signal: InboxSignal, now: number = performance.now()): void {
    this.signalAt = now;
    if (!this.running || !behind(signal, this.messages, this.last?.control ?? null)) return;
    const key = `${signal.latestId}|${signal.controlRev}|${signal.violations}`;
    if (key !== this.signalKey) {
      this.signalKey = key;
      this.tries = 0;
    }
    if (this.tries >= MAX_TRIES_PER_SIGNAL) return;
    this.tries++;
    void this.poll();
  }

  stop(): void {
    this.running = false;
    if (pollers.get(this.sessionId) === this) pollers.delete(this.sessionId);
    window.removeEventListener("online", this.onOnline);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The candidate has seen everything so far (the chat panel is open). */
  markRead(): void {
    const newest = newestId(this.messages, this.marks.read);
    if (newest !== this.marks.read) {
      this.marks = { ...this.marks, read: newest };
      saveMarks(this.sessionId, this.marks);
    }
  }

  /** A message the page itself created (the candidate's chat, an acknowledged warning) joins the list at once. */
  add(message: ChannelMessage): ChannelMessage[] {
    this.messages = mergeMessages(this.messages, [message]);
    if (this.last) this.last = { ...this.last, messages: this.messages, arrived: [] };
    return this.messages;
  }

  async poll(): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    try {
      let incoming: ChannelMessage[] = [];
      let control: SessionControl | null = null;
      let sent = 0;
      let received = 0;
      // Page through: a full page means the server has more after it.
      for (let page = 0; page < 20; page++) {
        sent = performance.now();
        this.fetches++;
        const answer = await this.fetchInbox(this.sessionId, this.first ? null : this.cursor);
        received = performance.now();
        this.first = false;
        incoming = incoming.concat(answer.messages);
        control = answer.session;
        if (answer.cursor) this.cursor = answer.cursor;
        if (answer.messages.length < PAGE_LIMIT) break;
      }
      this.messages = mergeMessages(this.messages, incoming);
      const arrived = fresh(incoming, this.marks.cursor);
      const cursor = newestId(this.messages, this.marks.cursor);
      if (cursor !== this.marks.cursor) {
        this.marks = { ...this.marks, cursor };
        saveMarks(this.sessionId, this.marks);
      }
      this.last = { messages: this.messages, control, arrived, sentAt: sent, receivedAt: received };
      if (this.running) this.listener?.(this.last);
    } catch {
      // Offline or the server is busy: try again at the next tick (and at once on "online").
    } finally {
      this.busy = false;
      if (this.running) this.timer = window.setTimeout(() => this.fallback(), POLL_MS);
    }
  }

  /** The timer: fetch only while the heartbeat brings no signal; otherwise just look again later. */
  private fallback(): void {
    this.timer = null;
    if (!this.running) return;
    if (performance.now() - this.signalAt > SIGNAL_STALE_MS) void this.poll();
    else this.timer = window.setTimeout(() => this.fallback(), POLL_MS);
  }
}
