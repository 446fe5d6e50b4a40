/** The rules and the user agreement; accepting is recorded by the API before any camera or photo. */
import { useState } from "preact/hooks";
import { api } from "../shared/api/client";
import type { AdmittedExam } from "../shared/api/types";
import { errorText, formatMinutes, lang, pick, t } from "../shared/i18n/i18n";
import { Button, ErrorSummary, Heading } from "../shared/ui/components";

const RULES = ["rules.r_device", "rules.r_alone", "rules.r_face", "rules.r_screen", "rules.r_tabs", "rules.r_tools", "rules.r_private", "rules.r_reload"];

export function Rules({ exam, onNext, onBack }: { exam: AdmittedExam; onNext: () => void; onBack: () => void }) {
  const [agreed, setAgreed] = useState(false);
  const [problems, setErrors] = useState<{ field?: string; text: () => string }[]>([]);
  const errors = problems.map((e) => ({ field: e.field, text: e.text() }));
  const [busy, setBusy] = useState(false);
  const start = async (e: Event) => {
    e.preventDefault();
    if (!agreed) return setErrors([{ field: "agree", text: () => t("rules.agree_missing") }]);
    setBusy(true);
    try {
      await api.consent(exam.exam_id, lang());
      onNext();
    } catch (error) {
      setErrors([{ text: () => errorText(error) }]);
      setBusy(false);
    }
  };
  return (
    <div class="narrow">
      <ErrorSummary errors={errors} />
      <Heading caption={pick(exam.title)}>{t("rules.title")}</Heading>
      <p>{t("rules.intro", { duration: formatMinutes(exam.duration_s) })}</p>
      <ol class="list list--number">
        {RULES.map((key) => (
          <li key={key}>{t(key)}</li>
        ))}
      </ol>
      <h2 class="heading-m">{t("rules.agreement_title")}</h2>
      <p>{t("rules.agreement_recording")}</p>
      <p>{t("rules.agreement_annul")}</p>
      <form onSubmit={start} noValidate>
        <div class={`field ${errors.some((e) => e.field === "agree") ? "field--error" : ""}`}>
          {errors.some((e) => e.field === "agree") && <span class="error-message">{t("rules.agree_missing")}</span>}
          <label class="checkbox">
            <input id="agree" type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.currentTarget.checked)} />
            <span>{t("rules.agree")}</span>
          </label>
        </div>
        <Button type="submit" busy={busy}>
          {t("rules.start")}
        </Button>
        <Button variant="secondary" onClick={onBack}>
          {t("common.back_to_cabinet")}
        </Button>
      </form>
    </div>
  );
}
