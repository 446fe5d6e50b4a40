import { describe, expect, it } from "vitest";
import { SIGNAL_STALE_MS } from "./channel";
import { nextBeatS } from "./monitoring";

describe("the heartbeat's cadence", () => {
  it("follows the answer's next_heartbeat_s: 20 s unwatched, 5 s watched", () => {
    expect(nextBeatS({ next_heartbeat_s: 20 })).toBe(20);
    expect(nextBeatS({ next_heartbeat_s: 5 })).toBe(5);
  });

  it("is clamped to 2..60 s", () => {
    expect(nextBeatS({ next_heartbeat_s: 0 })).toBe(2);
    expect(nextBeatS({ next_heartbeat_s: -3 })).toBe(2);
    expect(nextBeatS({ next_heartbeat_s: 3600 })).toBe(60);
  });

  it("is 5 s when the answer names none (an older API) or the beat failed", () => {
    expect(nextBeatS({})).toBe(5);
    expect(nextBeatS({ next_heartbeat_s: Number.NaN })).toBe(5);
    expect(nextBeatS(null)).toBe(5);
  });

  it("leaves the inbox's fallback polling off between two healthy unwatched beats", () => {
    expect(SIGNAL_STALE_MS).toBeGreaterThan(2 * 20 * 1000);
  });
});
