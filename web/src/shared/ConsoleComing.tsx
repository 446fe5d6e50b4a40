import { t } from "./i18n/i18n";
import { Heading, Notice } from "./ui/components";

/** Proctors and agency admins sign in here too; their consoles are the next features to land. */
export function ConsoleComing({ role }: { role: string }) {
  return (
    <div class="narrow">
      <Heading caption={role}>{t("console.title")}</Heading>
      <Notice>
        <p>{t("console.body")}</p>
      </Notice>
    </div>
  );
}
