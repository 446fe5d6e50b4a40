/**
 * The outbox: answers, browser events and media uploads wait here (persisted) until the server has them.
 *
 * Transport failures and 5xx are retried forever with exponential backoff and jitter, so a network drop loses
 * nothing; a rejection that will not change (4xx) is dropped after MAX_REJECTIONS tries. Answers coalesce: one
 * entry per item, the latest wins. A "hold" (the proctor has paused the session: 409 session.paused) keeps the
 * entry without counting it as a rejection and without calling the page offline; it is tried again every
 * HOLD_DELAY_MS and at once when the pause ends (the page calls kick()). The storage and the senders are passed in, so the logic runs in unit tests.
 */
import type { BrowserEvent, MediaKind } from "../api/types";

export type SendResult = "ok" | "retry" | "reject" | "hold";

export interface AnswerPayload {
  itemId: string;
  optionId: string;
}

export interface UploadPayload {
  kind: MediaKind;
  blob: Blob;
  filename: string;
  /** The object's name under the form's key prefix: chosen once, kept across retries (forms.ts). */
  name?: string;
}

export interface OutboxEntry {
  id: string;
  kind: "answer" | "event" | "upload";
  sessionId: string;
  created: number;
  version: number;
  attempts: number;
  rejections: number;
  nextAt: number;
  answer?: AnswerPayload;
  event?: BrowserEvent;
  upload?: UploadPayload;
}

export interface OutboxStore {
  all(): Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface Senders {
  answer(sessionId: string, answer: AnswerPayload): Promise<SendResult>;
  events(sessionId: string, events: BrowserEvent[]): Promise<SendResult>;
  upload(sessionId: string, upload: UploadPayload): Promise<SendResult>;
}

export interface OutboxState {
  pending: number;
  pendingAnswers: number;
  /** The last send attempt failed on the network or the server: the page is offline or catching up. */
  failing: boolean;
}

export const MAX_REJECTIONS = 3;
export const BASE_DELAY_MS = 1000;
export const MAX_DELAY_MS = 15000;
export const HOLD_DELAY_MS = 5000;
const MAX_EVENT_BATCH = 100;

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface OutboxOptions {
  now?: () => number;
  random?: () => number;
  onDrop?: (entry: OutboxEntry) => void;
}

export class Outbox {
  private entries = new Map<string, OutboxEntry>();
  private listeners = new Set<(state: OutboxState) => void>();
  private flushing: Promise<void> | null = null;
  private again = false;
  private failing = false;
  private seq = 0;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly store: OutboxStore,
    private readonly senders: Senders,
    private readonly options: OutboxOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Load what a previous page left behind (reload, crash, closed tab). */
  async load(): Promise<void> {
    for (const entry of await this.store.all()) {
      this.entries.set(entry.id, { ...entry, nextAt: 0 });
      this.seq = Math.max(this.seq, entry.version);
    }
    this.emit();
  }

  state(): OutboxState {
    let pendingAnswers = 0;
    for (const entry of this.entries.values()) if (entry.kind === "answer") pendingAnswers++;
    return { pending: this.entries.size, pendingAnswers, failing: this.failing && this.entries.size > 0 };
  }

  subscribe(listener: (state: OutboxState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state());
    return () => this.listeners.delete(listener);
  }

  /** Answers not yet on the server, for merging over the server's copy after a reload. */
  pendingAnswers(sessionId: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of this.entries.values()) {
      if (entry.kind === "answer" && entry.sessionId === sessionId && entry.answer) {
        out[entry.answer.itemId] = entry.answer.optionId;
      }
    }
    return out;
  }

  hasPendingAnswer(sessionId: string, itemId: string): boolean {
    return this.entries.has(answerId(sessionId, itemId));
  }

  async addAnswer(sessionId: string, answer: AnswerPayload): Promise<void> {
    await this.add({ id: answerId(sessionId, answer.itemId), kind: "answer", sessionId, answer });
  }

  async addEvent(sessionId: string, event: BrowserEvent): Promise<void> {
    await this.add({ id: `event:${event.event_id}`, kind: "event", sessionId, event });
  }

  async addUpload(sessionId: string, upload: UploadPayload): Promise<void> {
    await this.add({ id: `upload:${randomId()}`, kind: "upload", sessionId, upload });
  }

  /** The network came back (or the user asked): try everything now rather than at its backoff time. */
  kick(): Promise<void> {
    for (const entry of this.entries.values()) entry.nextAt = 0;
    return this.flush();
  }

  /** Send every entry that is due; concurrent calls coalesce into one more pass. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** The earliest time something is due, for the caller's timer. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const entry of this.entries.values()) if (next === null || entry.nextAt < next) next = entry.nextAt;
    return next;
  }

  private async add(partial: Pick<OutboxEntry, "id" | "kind" | "sessionId"> & Partial<OutboxEntry>): Promise<void> {
    const entry: OutboxEntry = {
      created: this.now(),
      version: ++this.seq,
      attempts: 0,
      rejections: 0,
      nextAt: 0,
      ...partial,
    };
    this.entries.set(entry.id, entry); // an answer to the same item replaces the one still waiting
    if (this.flushing) this.again = true;
    this.emit();
    await this.store.put(entry);
  }

  private async pass(): Promise<void> {
    const now = this.now();
    const due = [...this.entries.values()].filter((e) => e.nextAt <= now).sort((a, b) => a.version - b.version);
    const events = due.filter((e) => e.kind === "event");
    const bySession = new Map<string, OutboxEntry[]>();
    for (const entry of events) bySession.set(entry.sessionId, [...(bySession.get(entry.sessionId) ?? []), entry]);
    for (const [sessionId, batch] of bySession) {
      for (let i = 0; i < batch.length; i += MAX_EVENT_BATCH) {
        const chunk = batch.slice(i, i + MAX_EVENT_BATCH);
        const result = await this.attempt(() => this.senders.events(sessionId, chunk.map((e) => e.event!)));
        for (const entry of chunk) await this.settle(entry, result);
      }
    }
    // Answers before uploads: they are small and matter most.
    for (const entry of due.filter((e) => e.kind === "answer")) {
      const result = await this.attempt(() => this.senders.answer(entry.sessionId, entry.answer!));
      await this.settle(entry, result);
    }
    for (const entry of due.filter((e) => e.kind === "upload")) {
      const result = await this.attempt(() => this.senders.upload(entry.sessionId, entry.upload!));
      await this.settle(entry, result);
    }
  }

  private async attempt(send: () => Promise<SendResult>): Promise<SendResult> {
    try {
      return await send();
    } catch {
      return "retry";
    }
  }

  private async settle(sent: OutboxEntry, result: SendResult): Promise<void> {
    if (result !== "hold") this.failing = result === "retry";
    const current = this.entries.get(sent.id);
    if (current === undefined) return;
    if (current.version !== sent.version) {
      this.emit(); // replaced while in flight (a newer answer): keep the newer one
      return;
    }
    if (result === "ok") {
      this.entries.delete(sent.id);
      this.emit();
      await this.store.delete(sent.id);
      return;
    }
    if (result === "reject") {
      current.rejections++;
      if (current.rejections >= MAX_REJECTIONS) {
        this.entries.delete(sent.id);
        this.options.onDrop?.(current);
        this.emit();
        await this.store.delete(sent.id);
        return;
      }
    }
    if (result === "hold") {
      // Not a failure: the session waits for the proctor. No backoff growth, no rejection counted.
      current.nextAt = this.now() + HOLD_DELAY_MS;
      this.emit();
      await this.store.put(current);
      return;
    }
    current.attempts++;
    current.nextAt = this.now() + backoffMs(current.attempts, this.random);
    this.emit();
    await this.store.put(current);
  }

  private emit(): void {
    const state = this.state();
    for (const listener of this.listeners) listener(state);
  }
}

export function answerId(sessionId: string, itemId: string): string {
  return `answer:${sessionId}:${itemId}`;
}

/** 20 url-safe characters: fits the API's event_id pattern [A-Za-z0-9_-]{8,64}. */
export function randomId(): string {
  const bytes = new Uint8Array(15);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += b.toString(36).padStart(2, "0");
  return out.slice(0, 20);
}

export class MemoryStore implements OutboxStore {
  readonly data = new Map<string, OutboxEntry>();
  async all() {
    return [...this.data.values()].map((e) => ({ ...e }));
  }
  async put(entry: OutboxEntry) {
    this.data.set(entry.id, { ...entry });
  }
  async delete(id: string) {
    this.data.delete(id);
  }
}
