/** A proctor ended the test: monitoring has stopped; the reason, and that the result will be reviewed. */
import { t, useLang } from "../shared/i18n/i18n";
import { Button, Heading, Notice } from "../shared/ui/components";

export function Terminated({ reason, onCabinet }: { reason: string; onCabinet: () => void }) {
  useLang();
  return (
    <div class="narrow" data-testid="terminated">
      <Heading>{t("terminated.title")}</Heading>
      <Notice kind="warning">
        <p class="notice__title">{t("terminated.reason_label")}</p>
        <p class="proctor-quote__text" data-testid="termination-reason">
          {reason || t("terminated.no_reason")}
        </p>
      </Notice>
      <p>{t("terminated.stopped")}</p>
      <p>{t("terminated.review")}</p>
      <p>{t("terminated.questions")}</p>
      <Button onClick={onCabinet} id="terminated-cabinet">
        {t("common.back_to_cabinet")}
      </Button>
    </div>
  );
}
