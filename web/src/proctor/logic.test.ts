import { describe, expect, it } from "vitest";
import {
  ageParts,
  clock,
  evidencePart,
  framesIn,
  isStale,
  isUnread,
  later,
  loadReadMarks,
  markRead,
  newestPart,
  newHighSeverity,
  remainingNow,
  secondsSince,
  sortedCounts,
} from "./logic";

function memoryStorage() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe("countdown", () => {
  it("formats mm:ss and h:mm:ss, never negative", () => {
    expect(clock(0)).toBe("00:00");
    expect(clock(65.9)).toBe("01:05");
    expect(clock(3599)).toBe("59:59");
    expect(clock(3661)).toBe("1:01:01");
    expect(clock(-5)).toBe("00:00");
  });

  it("counts down locally from the poll, and stands still while paused", () => {
    expect(remainingNow(600, false, 1000, 4000)).toBe(597);
    expect(remainingNow(600, true, 1000, 60000)).toBe(600);
    expect(remainingNow(2, false, 0, 10000)).toBe(0);
    expect(remainingNow(600, false, 5000, 4000)).toBe(600); // a tick before the answer landed
  });
});

describe("last seen", () => {
  const server = "2026-11-29T10:00:40.000Z";
  it("is measured on the server's clock plus local time since the poll", () => {
    expect(secondsSince("2026-11-29T10:00:28.000Z", server, 1000, 1000)).toBe(12);
    expect(secondsSince("2026-11-29T10:00:28.000Z", server, 1000, 3500)).toBe(14.5);
    expect(secondsSince(null, server, 0, 0)).toBeNull();
  });

  it("is stale after 45 s of silence (two missed 20 s heartbeats), or when never seen", () => {
    expect(isStale(22)).toBe(false); // an unwatched candidate just before its next beat
    expect(isStale(45)).toBe(false);
    expect(isStale(45.5)).toBe(true);
    expect(isStale(null)).toBe(true);
  });

  it("reads in seconds, minutes or hours", () => {
    expect(ageParts(12.7)).toEqual({ unit: "s", n: 12 });
    expect(ageParts(125)).toEqual({ unit: "min", n: 2 });
    expect(ageParts(7300)).toEqual({ unit: "h", n: 2 });
  });
});

describe("unread chat", () => {
  it("is unread when the candidate wrote after the last read", () => {
    expect(isUnread(null, undefined)).toBe(false);
    expect(isUnread("2026-11-29T10:00:00.000Z", undefined)).toBe(true);
    expect(isUnread("2026-11-29T10:00:00.000Z", "2026-11-29T10:00:00.000Z")).toBe(false);
    expect(isUnread("2026-11-29T10:00:01.000Z", "2026-11-29T10:00:00.000Z")).toBe(true);
    expect(isUnread("2026-11-29T10:00:00Z", "2026-11-29T10:00:00.000Z")).toBe(false); // instants, not strings
  });

  it("remembers the latest read per user and session, never moving back", () => {
    const storage = memoryStorage();
    markRead("p1", "s1", "2026-11-29T10:00:05.000Z", storage);
    markRead("p1", "s1", "2026-11-29T10:00:01.000Z", storage);
    markRead("p1", "s2", null, storage);
    expect(loadReadMarks("p1", storage)).toEqual({ s1: "2026-11-29T10:00:05.000Z" });
    expect(loadReadMarks("p2", storage)).toEqual({});
    expect(later(null, "x")).toBe("x");
  });

  it("survives damaged storage", () => {
    const storage = { getItem: () => "{not json", setItem: () => undefined };
    expect(loadReadMarks("p1", storage)).toEqual({});
  });
});

describe("new high-severity violations", () => {
  const tile = (id: string, counts: Record<string, number>) => ({ session_id: id, violation_counts: counts });
  it("announces nothing on the first poll", () => {
    expect(newHighSeverity(null, [tile("a", { multiple_faces: 1 })])).toEqual([]);
  });

  it("announces high-severity types whose count rose, ignoring lower severities", () => {
    const before = new Map([["a", { multiple_faces: 1, tab_hidden: 1 }]]);
    const found = newHighSeverity(before, [
      tile("a", { multiple_faces: 2, tab_hidden: 3 }),
      tile("b", { second_client: 1, looking_away: 1 }),
    ]);
    expect(found).toEqual([
      { session_id: "a", type: "multiple_faces", added: 1 },
      { session_id: "b", type: "second_client", added: 1 },
    ]);
  });

  it("lists counts largest first", () => {
    expect(sortedCounts({ copy: 1, no_face: 3, paste: 0, cut: 1 })).toEqual([
      ["no_face", 3],
      ["copy", 1],
      ["cut", 1],
    ]);
  });
});

describe("two-frame webcam objects", () => {
  const pair = "sessions/0123456789abcdef0123456789abcdef/webcam/20261129T1804Z-00112233aabbccdd/20261129T180431123Z-0123456789ab.f2.jpg";
  it("knows a pair from its key or a presigned link to it", () => {
    expect(framesIn(pair)).toBe(2);
    expect(framesIn(pair.replace(".f2.jpg", ".jpg"))).toBe(1);
    expect(framesIn(`http://127.0.0.1:4566/media/${pair}?X-Amz-Signature=abc&x=.f2.jpg`)).toBe(2);
    expect(framesIn(`http://127.0.0.1:4566/media/${encodeURIComponent(pair)}?a=b`)).toBe(2);
    expect(framesIn("http://host/media/x.jpg?name=y.f2.jpg")).toBe(1);
    expect(framesIn(null)).toBe(1);
  });

  it("shows the half a violation refers to, the whole picture when its details do not say", () => {
    expect(evidencePart({ evidence_key: pair, details: { part: 1, frames: 2, faces: 2 } })).toEqual({ frames: 2, part: 1 });
    expect(evidencePart({ evidence_key: pair, details: { part: 0, frames: 2 } })).toEqual({ frames: 2, part: 0 });
    expect(evidencePart({ evidence_key: pair, details: { faces: 2 } })).toEqual({ frames: 2, part: null });
    expect(evidencePart({ evidence_key: pair, details: { part: 2, frames: 2 } })).toEqual({ frames: 2, part: null });
    expect(evidencePart({ evidence_key: pair.replace(".f2.jpg", ".jpg"), details: { part: 1, frames: 2 } })).toEqual({
      frames: 1,
      part: null,
    });
  });

  it("the live tile shows the newest (bottom) frame of a pair", () => {
    expect(newestPart(pair)).toBe(1);
    expect(newestPart("x.jpg")).toBeNull();
  });
});
