import { describe, expect, it } from "vitest";
import { allPages, leastCredibleFirst, riskiestFirst } from "./paging";

const tile = (id: string, risk: number, credibility = 100, started = "2026-01-01T10:00:00Z") => ({
  session_id: id,
  risk_score: risk,
  credibility,
  started_at: started,
  submitted_at: null,
});

describe("allPages", () => {
  it("follows next_cursor to the end and merges the pages in order", async () => {
    const pages: Record<string, { sessions: ReturnType<typeof tile>[]; next_cursor: string | null; server_time: string }> = {
      first: { sessions: [tile("a", 1), tile("b", 5)], next_cursor: "c1", server_time: "t0" },
      c1: { sessions: [tile("c", 9), tile("b", 7)], next_cursor: "c2", server_time: "t1" },
      c2: { sessions: [tile("d", 0)], next_cursor: null, server_time: "t2" },
    };
    const asked: (string | undefined)[] = [];
    const all = await allPages(async (cursor) => {
      asked.push(cursor);
      return pages[cursor ?? "first"];
    }, riskiestFirst);
    expect(asked).toEqual([undefined, "c1", "c2"]);
    expect(all.sessions.map((s) => [s.session_id, s.risk_score])).toEqual([
      ["c", 9],
      ["b", 7], // listed once, in its newest state
      ["a", 1],
      ["d", 0],
    ]);
    expect(all.server_time).toBe("t0");
    expect(all.next_cursor).toBeNull();
  });

  it("stops after MAX_PAGES even if the server keeps answering with a cursor", async () => {
    let calls = 0;
    await allPages(async () => {
      calls++;
      return { sessions: [], next_cursor: "again" };
    }, riskiestFirst);
    expect(calls).toBe(40);
  });
});

describe("orders", () => {
  it("puts the least credible first in the review queue, then the earliest submitted", () => {
    const entries = [
      { ...tile("x", 0, 80), submitted_at: "2026-01-01T11:00:00Z" },
      { ...tile("y", 0, 40), submitted_at: "2026-01-01T12:00:00Z" },
      { ...tile("z", 0, 80), submitted_at: "2026-01-01T10:00:00Z" },
    ];
    expect(entries.sort(leastCredibleFirst).map((e) => e.session_id)).toEqual(["y", "z", "x"]);
  });
});
