import { describe, expect, it } from "vitest";
import type { BrowserEvent } from "../api/types";
import { ApiError } from "../api/client";
import {
  HOLD_DELAY_MS,
  MAX_REJECTIONS,
  MemoryStore,
  Outbox,
  type SendResult,
  type Senders,
  answerId,
  backoffMs,
} from "./outbox";
import { fromError } from "./senders";

function harness(results: Partial<Record<"answer" | "events" | "upload", SendResult[]>> = {}) {
  let clock = 0;
  const calls: { kind: string; args: unknown }[] = [];
  const next = (kind: "answer" | "events" | "upload") => results[kind]?.shift() ?? "ok";
  const senders: Senders = {
    answer: async (_s, answer) => (calls.push({ kind: "answer", args: answer }), next("answer")),
    events: async (_s, events) => (calls.push({ kind: "events", args: events }), next("events")),
    upload: async (_s, upload) => (calls.push({ kind: "upload", args: upload.kind }), next("upload")),
  };
  const store = new MemoryStore();
  const dropped: string[] = [];
  const box = new Outbox(store, senders, { now: () => clock, random: () => 0.5, onDrop: (e) => dropped.push(e.id) });
  return { box, store, calls, dropped, advance: (ms: number) => (clock += ms) };
}

const event = (id: string): BrowserEvent => ({ event_id: id, type: "tab_hidden", occurred_at: "2026-01-01T00:00:00Z" });

describe("outbox", () => {
  it("keeps only the latest answer per item", async () => {
    const { box, calls } = harness();
    await box.addAnswer("s1", { itemId: "q1", optionId: "a" });
    await box.addAnswer("s1", { itemId: "q1", optionId: "c" });
    await box.addAnswer("s1", { itemId: "q2", optionId: "b" });
    expect(box.pendingAnswers("s1")).toEqual({ q1: "c", q2: "b" });
    await box.flush();
    expect(calls.map((c) => c.args)).toEqual([
      { itemId: "q1", optionId: "c" },
      { itemId: "q2", optionId: "b" },
    ]);
    expect(box.state().pending).toBe(0);
  });

  it("retries transport failures with growing delays and loses nothing", async () => {
    const { box, calls, advance, store } = harness({ answer: ["retry", "retry", "retry"] });
    await box.addAnswer("s1", { itemId: "q1", optionId: "a" });
    await box.flush();
    expect(box.state()).toMatchObject({ pending: 1, failing: true });
    await box.flush(); // not due yet
    expect(calls).toHaveLength(1);
    advance(backoffMs(1, () => 0.5));
    await box.flush();
    expect(calls).toHaveLength(2);
    advance(backoffMs(2, () => 0.5));
    await box.flush();
    advance(backoffMs(3, () => 0.5));
    await box.flush();
    expect(calls).toHaveLength(4);
    expect(box.state()).toMatchObject({ pending: 0, failing: false });
    expect(store.data.size).toBe(0);
  });

  it("drops a rejected entry after a bounded number of tries", async () => {
    const { box, calls, dropped, advance } = harness({ upload: Array(10).fill("reject") });
    await box.addUpload("s1", { kind: "webcam", blob: new Blob(["x"]), filename: "f.jpg" });
    for (let i = 0; i < 10; i++) {
      await box.flush();
      advance(60_000);
    }
    expect(calls).toHaveLength(MAX_REJECTIONS);
    expect(dropped).toHaveLength(1);
    expect(box.state().pending).toBe(0);
  });

  it("batches events per session and treats a retry of the batch as one", async () => {
    const { box, calls } = harness({ events: ["retry"] });
    await box.addEvent("s1", event("evt-00001"));
    await box.addEvent("s1", event("evt-00002"));
    await box.flush();
    expect(calls).toHaveLength(1);
    await box.kick();
    expect(calls).toHaveLength(2);
    expect((calls[1].args as BrowserEvent[]).map((e) => e.event_id)).toEqual(["evt-00001", "evt-00002"]);
  });

  it("a newer answer given while the older is in flight survives the older one's success", async () => {
    const { box, calls } = harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = box["senders"].answer;
    box["senders"].answer = async (s, a) => {
      await gate;
      return original(s, a);
    };
    await box.addAnswer("s1", { itemId: "q1", optionId: "a" });
    const flushing = box.flush();
    await box.addAnswer("s1", { itemId: "q1", optionId: "b" });
    release();
    await flushing;
    expect(box.pendingAnswers("s1")).toEqual({}); // the follow-up pass sent "b" too
    expect(calls.map((c) => (c.args as { optionId: string }).optionId)).toEqual(["a", "b"]);
  });

  it("reloads entries a previous page left behind and sends them at once", async () => {
    const first = harness({ answer: ["retry"] });
    await first.box.addAnswer("s1", { itemId: "q9", optionId: "d" });
    await first.box.flush();
    const reopened = new Outbox(first.store, {
      answer: async () => "ok",
      events: async () => "ok",
      upload: async () => "ok",
    });
    await reopened.load();
    expect(reopened.pendingAnswers("s1")).toEqual({ q9: "d" });
    await reopened.flush();
    expect(reopened.state().pending).toBe(0);
  });

  it("backoff is capped and jittered", () => {
    expect(backoffMs(1, () => 0)).toBe(500);
    expect(backoffMs(1, () => 1)).toBe(1000);
    expect(backoffMs(30, () => 1)).toBe(15000);
    expect(backoffMs(30, () => 0)).toBe(7500);
  });
});

describe("outbox while the proctor has paused the session", () => {
  it("holds an answer refused with session.paused (never dropped) and sends it once the pause ends", async () => {
    const { box, calls, dropped, advance, store } = harness({ answer: Array(MAX_REJECTIONS + 3).fill("hold") });
    await box.addAnswer("s1", { itemId: "q1", optionId: "b" });
    for (let i = 0; i < MAX_REJECTIONS + 3; i++) {
      await box.flush();
      expect(box.state()).toMatchObject({ pending: 1, pendingAnswers: 1, failing: false }); // not "offline"
      advance(HOLD_DELAY_MS);
    }
    expect(dropped).toEqual([]);
    expect(store.data.get(answerId("s1", "q1"))?.rejections).toBe(0);
    // The pause ends: the page kicks the outbox and the answer goes at once.
    await box.kick();
    expect(calls.at(-1)?.args).toEqual({ itemId: "q1", optionId: "b" });
    expect(box.state()).toMatchObject({ pending: 0, failing: false });
  });

  it("a hold waits a fixed short delay, without growing backoff", async () => {
    const { box, calls, advance } = harness({ answer: ["hold", "hold"] });
    await box.addAnswer("s1", { itemId: "q1", optionId: "a" });
    await box.flush();
    advance(HOLD_DELAY_MS - 1);
    await box.flush();
    expect(calls).toHaveLength(1);
    advance(1);
    await box.flush();
    expect(calls).toHaveLength(2);
  });

  it("the API's 409 session.paused maps to a hold; other 409s are rejections, 5xx and the network retries", () => {
    expect(fromError(new ApiError(409, "session.paused", "paused"))).toBe("hold");
    expect(fromError(new ApiError(409, "session.terminated", "ended"))).toBe("reject");
    expect(fromError(new ApiError(409, "session.deadline_passed", "late"))).toBe("reject");
    expect(fromError(new ApiError(503, "http.503", "busy"))).toBe("retry");
    expect(fromError(new ApiError(0, "network.offline", "offline"))).toBe("retry");
  });
});
