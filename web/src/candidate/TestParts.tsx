/** The test screen's status bar (countdown, answered count, save state) and its item map. */
import type { ComponentChildren } from "preact";
import type { Item } from "../shared/api/types";
import { formatNumber, t } from "../shared/i18n/i18n";
import type { OutboxState } from "../shared/outbox/outbox";
import { formatClock } from "../shared/timer";

export function TestBar({
  remaining,
  spoken,
  answered,
  total,
  outbox,
  children,
}: {
  remaining: number;
  spoken: string;
  answered: number;
  total: number;
  outbox: OutboxState;
  /** More controls at the end of the bar (the chat toggle). */
  children?: ComponentChildren;
}) {
  const saveText = outbox.failing
    ? t("test.offline", { n: outbox.pending })
    : outbox.pendingAnswers > 0
      ? t("test.saving")
      : outbox.pending > 0
        ? t("test.catching_up", { n: outbox.pending })
        : t("test.saved");
  return (
    <div class="test-bar" role="region" aria-label={t("test.status_bar")}>
      <div class="test-bar__inner">
        <span>
          <span class="body-s">{t("test.time_left")} </span>
          <span class={`timer ${remaining <= 300 ? "timer--low" : ""}`} role="timer" aria-live="off" data-testid="timer">
            {formatClock(remaining)}
          </span>
        </span>
        {/* Announced politely at 5-minute marks, each minute of the last five, and at 30 s: never every second. */}
        <span class="sr-only" aria-live="polite">
          {spoken}
        </span>
        <span>{t("test.answered", { n: answered, total })}</span>
        <span
          class={`save-state ${outbox.failing ? "save-state--offline" : ""}`}
          role="status"
          data-testid="save-state"
          data-pending={outbox.pending}
        >
          {saveText}
        </span>
        {children}
      </div>
    </div>
  );
}

export function ItemMap({
  items,
  answers,
  flags,
  current,
  onOpen,
}: {
  items: Item[];
  answers: Record<string, string>;
  flags: Set<string>;
  current: number;
  onOpen: (index: number) => void;
}) {
  return (
    <ol class="item-map">
      {items.map((item, i) => {
        const answered = !!answers[item.item_id];
        const flagged = flags.has(item.item_id);
        const state = [t(answered ? "test.state_answered" : "test.state_unanswered")];
        if (flagged) state.push(t("test.state_flagged"));
        return (
          <li key={item.item_id}>
            <button
              type="button"
              class={`${answered ? "answered" : ""} ${flagged ? "flagged" : ""}`}
              aria-current={i === current ? "true" : undefined}
              aria-label={t("test.map_item", { n: i + 1, state: state.join(", ") })}
              onClick={() => onOpen(i)}
            >
              {formatNumber(i + 1)}
            </button>
          </li>
        );
      })}
    </ol>
  );
}
