/**
 * The exam countdown runs on the server's deadline: remaining_s from the server, counted on the page's monotonic
 * clock (performance.now), corrected by every heartbeat. The browser's wall clock is never read.
 */
export class Countdown {
  private deadlineMs: number;

  /** remainingS as answered by the server; sentMs/receivedMs bracket the request on the monotonic clock. */
  constructor(remainingS: number, sentMs: number, receivedMs: number = sentMs) {
    this.deadlineMs = Countdown.deadline(remainingS, sentMs, receivedMs);
  }

  private static deadline(remainingS: number, sentMs: number, receivedMs: number): number {
    // The server measured at some moment during the round trip: take its middle.
    return (sentMs + receivedMs) / 2 + remainingS * 1000;
  }

  sync(remainingS: number, sentMs: number, receivedMs: number = sentMs): void {
    this.deadlineMs = Countdown.deadline(remainingS, sentMs, receivedMs);
  }

  /** Whole seconds left at nowMs (rounded up, so 0 means time is really up). */
  remaining(nowMs: number): number {
    return Math.max(0, Math.ceil((this.deadlineMs - nowMs) / 1000));
  }
}

/** 75 → "01:15"; 3725 → "1:02:05". */
export function formatClock(totalS: number): string {
  const s = Math.max(0, Math.floor(totalS));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

/**
 * Minutes to announce to screen readers when the countdown crosses a boundary between prevS and nowS: every
 * 5 minutes above the last 5, every minute in the last 5, and once at 30 seconds (returned as 0.5). Null otherwise.
 */
export function announcement(prevS: number, nowS: number): number | null {
  if (nowS >= prevS) return null;
  if (prevS > 30 && nowS <= 30) return 0.5;
  for (let boundary = Math.floor(prevS / 60) * 60; boundary >= nowS && boundary > 0; boundary -= 60) {
    if (boundary >= prevS) continue;
    const minutes = boundary / 60;
    if (minutes <= 5 || minutes % 5 === 0) return minutes;
  }
  return null;
}
