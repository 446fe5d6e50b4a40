/** After "Finish testing": the score, or that the result waits for the proctor's review. */
import { t } from "../shared/i18n/i18n";
import { Button, Heading } from "../shared/ui/components";
import { ScoreText } from "./Cabinet";
import type { Sitting } from "./sitting";

export function Result({ sitting, onCabinet }: { sitting: Sitting; onCabinet: () => void }) {
  const final = sitting.final;
  const annulled = final?.status === "annulled";
  return (
    <div class="narrow">
      <Heading>{t("result.title")}</Heading>
      {final?.score && !annulled ? (
        <div class="result-panel" data-testid="result">
          <span>{t("result.your_score")}</span>
          <span class="result-panel__big">
            <ScoreText session={final} />
          </span>
        </div>
      ) : (
        <div class="result-panel result-panel--wait" data-testid="result">
          <span class="result-panel__big">{annulled ? t("cabinet.annulled") : t("cabinet.status.awaiting_review")}</span>
        </div>
      )}
      <p>{t("result.review_note")}</p>
      <Button onClick={onCabinet}>{t("common.back_to_cabinet")}</Button>
    </div>
  );
}
