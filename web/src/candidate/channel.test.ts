import { describe, expect, it, vi } from "vitest";
import type { ChannelMessage } from "../shared/api/types";
import {
  type ChannelSnapshot,
  InboxPoller,
  MAX_TRIES_PER_SIGNAL,
  behind,
  countsKey,
  inboxSignal,
  fresh,
  loadMarks,
  mergeMessages,
  newestId,
  openWarnings,
  pauseText,
  saveMarks,
  unreadCount,
} from "./channel";

let n = 0;
function msg(kind: ChannelMessage["kind"], text: string, extra: Partial<ChannelMessage> = {}): ChannelMessage {
  n++;
  return {
    message_id: `20261129T1300${String(n).padStart(2, "0")}000000Z-abcdef${String(n).padStart(2, "0")}`,
    kind,
    author_role: "proctor",
    author_id: "proctor-1",
    text,
    created_at: "2026-11-29T13:00:00Z",
    for_candidate: true,
    acknowledged_at: null,
    ...extra,
  };
}

function memoryStorage() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe("the candidate's channel", () => {
  it("merges pages in id order, one copy per id, the newer copy winning (an acknowledgement)", () => {
    const a = msg("warning", "Look at the screen");
    const b = msg("chat", "Is your microphone on?");
    const acked = { ...a, acknowledged_at: "2026-11-29T13:01:00Z" };
    expect(mergeMessages([b], [a]).map((m) => m.text)).toEqual(["Look at the screen", "Is your microphone on?"]);
    expect(mergeMessages([a, b], [acked])[0].acknowledged_at).toBe("2026-11-29T13:01:00Z");
  });

  it("after F5 the history is shown but nothing at or before the stored cursor is announced again", () => {
    const old = [msg("chat", "one"), msg("warning", "two")];
    const storage = memoryStorage();
    saveMarks("s1", { cursor: newestId(old, null), read: null }, storage);
    const marks = loadMarks("s1", storage);
    const later = msg("chat", "three");
    const history = mergeMessages([], [...old, later]);
    expect(fresh(history, marks.cursor).map((m) => m.text)).toEqual(["three"]);
    expect(loadMarks("other", storage)).toEqual({ cursor: null, read: null });
  });

  it("counts unread proctor messages after the read mark; the candidate's own do not count", () => {
    const first = msg("chat", "hello");
    const mine = msg("chat", "hi", { author_role: "candidate" });
    const second = msg("chat", "are you there?");
    const all = [first, mine, second];
    expect(unreadCount(all, null)).toBe(2);
    expect(unreadCount(all, first.message_id)).toBe(1);
    expect(unreadCount(all, newestId(all, null))).toBe(0);
    expect(newestId([], "x")).toBe("x");
  });

  it("keeps unacknowledged warnings until acknowledged, here or on the server", () => {
    const w1 = msg("warning", "first");
    const w2 = msg("warning", "second", { acknowledged_at: "2026-11-29T13:02:00Z" });
    const w3 = msg("warning", "third");
    expect(openWarnings([w1, w2, w3]).map((m) => m.text)).toEqual(["first", "third"]);
    expect(openWarnings([w1, w2, w3], new Set([w1.message_id])).map((m) => m.text)).toEqual(["third"]);
  });

  it("the pause overlay shows the latest pause message; the violation counts key changes with any count", () => {
    expect(pauseText([msg("pause", "Show the room"), msg("resume", ""), msg("pause", "Show your desk")])).toBe(
      "Show your desk",
    );
    expect(pauseText([msg("chat", "x")])).toBeNull();
    expect(countsKey({ copy: 1, tab_hidden: 2 })).toBe(countsKey({ tab_hidden: 2, copy: 1 }));
    expect(countsKey({ copy: 1 })).not.toBe(countsKey({ copy: 2 }));
    expect(countsKey(null)).toBe("");
  });
});

describe("the inbox poller", () => {
  function stubBrowser() {
    const data = new Map<string, string>();
    vi.stubGlobal("sessionStorage", {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
    });
    vi.stubGlobal("window", { addEventListener() {}, removeEventListener() {}, setTimeout: () => 0 });
    return data;
  }
  const control = { paused: false, terminated: false, remaining_s: 600, violation_counts: {} } as never;

  it("fetches the history without a cursor, then polls with it; after F5 nothing old is announced again", async () => {
    stubBrowser();
    const one = msg("chat", "one");
    const two = msg("warning", "two");
    const three = msg("chat", "three");
    const server = [one, two];
    const asked: (string | null)[] = [];
    const fetchInbox = async (_s: string, since: string | null) => {
      asked.push(since);
      const messages = server.filter((m) => since === null || m.message_id > since);
      return { messages, cursor: messages.length ? messages[messages.length - 1].message_id : since, session: control };
    };
    const first = new InboxPoller("s1", fetchInbox);
    const seen: ChannelSnapshot[] = [];
    first.listener = (s) => seen.push(s);
    first.start();
    await first.poll(); // already polling: ignored
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0].arrived.map((m) => m.text)).toEqual(["one", "two"]);
    server.push(three);
    await first.poll();
    expect(asked).toEqual([null, two.message_id]);
    expect(seen[1].arrived.map((m) => m.text)).toEqual(["three"]);
    expect(seen[1].messages.map((m) => m.text)).toEqual(["one", "two", "three"]);
    first.stop();

    // F5: a new page fetches the whole history again (to show it) but announces nothing already received.
    const reloaded = new InboxPoller("s1", fetchInbox);
    const after: ChannelSnapshot[] = [];
    reloaded.listener = (s) => after.push(s);
    reloaded.start();
    await vi.waitFor(() => expect(after).toHaveLength(1));
    expect(asked.at(-1)).toBeNull();
    expect(after[0].messages).toHaveLength(3);
    expect(after[0].arrived).toEqual([]);
    // Nothing was read with the panel open: three proctor messages are unread; reading clears them, also after F5.
    expect(unreadCount(after[0].messages, reloaded.read)).toBe(3);
    reloaded.markRead();
    expect(unreadCount(after[0].messages, new InboxPoller("s1", fetchInbox).read)).toBe(0);
    reloaded.stop();
    vi.unstubAllGlobals();
  });

  it("fetches again only when a heartbeat signals something new, and a stuck signal only a few times", async () => {
    stubBrowser();
    const one = msg("chat", "one");
    const server = [one];
    let fetched = 0;
    const fetchInbox = async (_s: string, since: string | null) => {
      fetched++;
      const messages = server.filter((m) => since === null || m.message_id > since);
      const session = { ...control, control_rev: 0, violation_counts: { tab_hidden: 1 } };
      return { messages, cursor: messages.length ? messages[messages.length - 1].message_id : since, session };
    };
    const poller = new InboxPoller("s2", fetchInbox);
    poller.start();
    await vi.waitFor(() => expect(poller.last).not.toBeNull());
    expect(fetched).toBe(1);
    // A heartbeat that says nothing new: no fetch.
    const quiet = { latestId: one.message_id, controlRev: 0, violations: 1 };
    for (let i = 0; i < 5; i++) inboxSignal("s2", quiet);
    expect(fetched).toBe(1);
    // A proctor's new message: one fetch, which catches up, so the next heartbeats fetch nothing.
    const two = msg("warning", "two");
    server.push(two);
    inboxSignal("s2", { ...quiet, latestId: two.message_id });
    await vi.waitFor(() => expect(poller.last?.messages).toHaveLength(2));
    inboxSignal("s2", { ...quiet, latestId: two.message_id });
    expect(fetched).toBe(2);
    // A mark whose message the inbox never shows (its write failed): a few tries, then no more for that signal.
    const ghost = { ...quiet, latestId: `${two.message_id}z` };
    for (let i = 0; i < 10; i++) {
      inboxSignal("s2", ghost);
      await vi.waitFor(() => expect((poller as unknown as { busy: boolean }).busy).toBe(false));
    }
    expect(fetched).toBe(2 + MAX_TRIES_PER_SIGNAL);
    poller.stop();
    inboxSignal("s2", { ...quiet, controlRev: 5 }); // a stopped poller hears nothing
    expect(fetched).toBe(2 + MAX_TRIES_PER_SIGNAL);
    vi.unstubAllGlobals();
  });
});

describe("behind", () => {
  const control = { control_rev: 3, violation_counts: { tab_hidden: 2, copy: 1 } } as never;
  const one = msg("chat", "one");
  it("is behind a newer message, another revision or another violation count, and never before a first fetch", () => {
    const now = { latestId: one.message_id, controlRev: 3, violations: 3 };
    expect(behind(now, [one], control)).toBe(false);
    expect(behind({ ...now, latestId: null }, [one], control)).toBe(false);
    expect(behind({ ...now, latestId: `${one.message_id}z` }, [one], control)).toBe(true);
    expect(behind({ ...now, controlRev: 4 }, [one], control)).toBe(true);
    expect(behind({ ...now, violations: 4 }, [one], control)).toBe(true);
    expect(behind({ ...now, violations: null }, [one], control)).toBe(false);
    expect(behind(now, [], control)).toBe(true);
    expect(behind(now, [one], null)).toBe(true);
  });
});
