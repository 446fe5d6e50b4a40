import { describe, expect, it } from "vitest";
import { Countdown, announcement, formatClock } from "./timer";

describe("Countdown", () => {
  it("counts down from the server's remaining time on the monotonic clock", () => {
    const countdown = new Countdown(600, 1000, 1000);
    expect(countdown.remaining(1000)).toBe(600);
    expect(countdown.remaining(1000 + 59_500)).toBe(541);
    expect(countdown.remaining(1000 + 600_000)).toBe(0);
    expect(countdown.remaining(1000 + 900_000)).toBe(0);
  });

  it("takes the middle of the round trip and follows each heartbeat's correction", () => {
    const countdown = new Countdown(100, 0, 2000); // answered somewhere during a 2 s round trip
    expect(countdown.remaining(1000)).toBe(100);
    countdown.sync(50, 10_000, 10_000); // the server says less time is left than we counted
    expect(countdown.remaining(10_000)).toBe(50);
    expect(countdown.remaining(20_000)).toBe(40);
  });
});

describe("formatClock", () => {
  it("shows minutes and seconds, and hours when there are any", () => {
    expect(formatClock(75)).toBe("01:15");
    expect(formatClock(0)).toBe("00:00");
    expect(formatClock(3725)).toBe("1:02:05");
    expect(formatClock(-3)).toBe("00:00");
  });
});

describe("announcement", () => {
  it("is silent between boundaries", () => {
    expect(announcement(1799, 1798)).toBeNull();
    expect(announcement(100, 100)).toBeNull();
  });
  it("announces every 5 minutes, then every minute in the last 5, then at 30 s", () => {
    expect(announcement(1201, 1200)).toBe(20);
    expect(announcement(841, 840)).toBeNull(); // 14 minutes: not a 5-minute mark
    expect(announcement(301, 300)).toBe(5);
    expect(announcement(241, 240)).toBe(4);
    expect(announcement(61, 60)).toBe(1);
    expect(announcement(31, 30)).toBe(0.5);
  });
  it("catches a boundary skipped by a throttled tab", () => {
    expect(announcement(185, 170)).toBe(3);
  });
});
