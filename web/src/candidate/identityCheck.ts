/** Waiting for the identity check's decision: the server answers `pending` at once and decides asynchronously. */
import type { EnrollmentView } from "../shared/api/types";

export const POLL_INTERVAL_MS = 1000;
export const DECISION_TIMEOUT_MS = 60_000;

/** The check did not get a decision in time (the candidate may send again: a stale check is queued again). */
export class DecisionTimeout extends Error {
  constructor() {
    super("identity check still pending");
  }
}

export interface WaitOptions {
  intervalMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  cancelled?: () => boolean;
}

/**
 * Polls `status` every intervalMs until the check is no longer pending; the view it answered is returned.
 * Rejects with DecisionTimeout after timeoutMs, and with whatever `status` throws (an API error is the caller's).
 */
export async function waitForDecision(
  first: EnrollmentView,
  status: () => Promise<EnrollmentView>,
  options: WaitOptions = {},
): Promise<EnrollmentView> {
  const interval = options.intervalMs ?? POLL_INTERVAL_MS;
  const timeout = options.timeoutMs ?? DECISION_TIMEOUT_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => Date.now());
  const started = now();
  let view = first;
  while (view.status === "pending") {
    if (options.cancelled?.()) throw new DecisionTimeout();
    if (now() - started >= timeout) throw new DecisionTimeout();
    await sleep(interval);
    view = await status();
  }
  return view;
}
