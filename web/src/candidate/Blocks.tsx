/** Choose the test block: each block's title, item count and how many are answered. */
import { useEffect, useState } from "preact/hooks";
import type { Block } from "../shared/api/types";
import { formatNumber, pick, t } from "../shared/i18n/i18n";
import { formatClock } from "../shared/timer";
import { Button, Heading } from "../shared/ui/components";
import type { Sitting } from "./sitting";

export function Blocks({ sitting, onOpen }: { sitting: Sitting; onOpen: (blockId: string) => void }) {
  const session = sitting.session;
  const blocks: Block[] = session?.blocks ?? sitting.exam.blocks;
  const countdown = sitting.monitor ? sitting.countdown : undefined;
  const [remaining, setRemaining] = useState(countdown?.remaining(performance.now()) ?? 0);
  useEffect(() => {
    if (!countdown) return;
    const timer = window.setInterval(() => {
      const now = countdown.remaining(performance.now());
      setRemaining(now);
      if (now === 0) onOpen(blocks[0].block_id); // the test screen finishes a test whose time is up
    }, 500);
    return () => clearInterval(timer);
  }, []);
  const answered = (blockId: string) =>
    session ? session.items.filter((i) => i.block_id === blockId && session.answers[i.item_id]).length : 0;
  return (
    <>
      <Heading caption={pick(sitting.exam.title)}>{t("blocks.title")}</Heading>
      <p>{t("blocks.intro")}</p>
      {countdown && (
        <p>
          <span class="body-s">{t("test.time_left")} </span>
          <span class={`timer ${remaining <= 300 ? "timer--low" : ""}`} role="timer" aria-live="off">
            {formatClock(remaining)}
          </span>
        </p>
      )}
      <table class="summary-list">
        <thead>
          <tr>
            <th scope="col">{t("blocks.block")}</th>
            <th scope="col">{t("blocks.items")}</th>
            <th scope="col">{t("blocks.answered")}</th>
            <th scope="col">
              <span class="sr-only">{t("blocks.action")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {blocks.map((block) => (
            <tr key={block.block_id}>
              <th scope="row">{pick(block.title)}</th>
              <td>{formatNumber(block.item_count)}</td>
              <td>{formatNumber(answered(block.block_id))}</td>
              <td>
                <Button
                  variant="secondary"
                  onClick={() => onOpen(block.block_id)}
                  aria-label={t("blocks.open_named", { name: pick(block.title) })}
                  data-block={block.block_id}
                >
                  {t("blocks.open")}
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
