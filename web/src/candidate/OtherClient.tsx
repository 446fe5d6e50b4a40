/** The exam is open in another tab or on another device: this tab stops and says so. */
import { t } from "../shared/i18n/i18n";
import { Button, Heading, Notice } from "../shared/ui/components";

export function OtherClient({ onCabinet }: { onCabinet: () => void }) {
  return (
    <div class="narrow">
      <Heading>{t("other.title")}</Heading>
      <Notice kind="warning">
        <p>{t("other.body")}</p>
        <p>{t("other.recorded")}</p>
      </Notice>
      <ol class="list list--number">
        <li>{t("other.step_close")}</li>
        <li>{t("other.step_wait")}</li>
      </ol>
      <Button variant="secondary" onClick={onCabinet}>
        {t("common.back_to_cabinet")}
      </Button>
    </div>
  );
}
