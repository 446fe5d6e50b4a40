/** Polling and ticking for the console's live screens. */
import { useEffect, useRef, useState } from "preact/hooks";

/**
 * Call `fetcher` now and every `everyMs` after the previous call settled (never two at once), while mounted.
 * `deps` restart it. The latest fetcher is always used, so callers may close over fresh state.
 */
export function usePoll(fetcher: () => Promise<void>, everyMs: number, deps: unknown[]): void {
  const latest = useRef(fetcher);
  latest.current = fetcher;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        await latest.current();
      } catch {
        // the screen shows its own failure state; polling goes on
      }
      if (!stopped) timer = setTimeout(run, everyMs);
    };
    run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, deps);
}

/** performance.now(), refreshed every `everyMs`: re-renders countdowns and ages between polls. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(performance.now());
  useEffect(() => {
    const id = setInterval(() => setNow(performance.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

/** An async action's state; texts are functions so a language switch re-renders them in the new language. */
export type ActionState =
  | { state: "idle" }
  | { state: "pending" }
  | { state: "done"; text: () => string }
  | { state: "failed"; text: () => string };
