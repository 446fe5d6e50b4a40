/** Choose the test language: it becomes the page's language and the session's. */
import { useState } from "preact/hooks";
import type { AdmittedExam, Lang } from "../shared/api/types";
import { LANGS, lang, pick, setLang, t } from "../shared/i18n/i18n";
import { Button, ErrorSummary, Heading } from "../shared/ui/components";

const NATIVE: Record<Lang, string> = { kk: "Қазақ тілі", ru: "Русский язык", en: "English" };

export function LanguageChoice({ exam, onNext, onBack }: { exam: AdmittedExam; onNext: () => void; onBack: () => void }) {
  const offered = LANGS.filter((code) => exam.languages.includes(code));
  const [choice, setChoice] = useState<Lang | null>(offered.includes(lang()) ? lang() : null);
  const [error, setError] = useState(false);
  const next = (e: Event) => {
    e.preventDefault();
    if (!choice) return setError(true);
    setLang(choice);
    onNext();
  };
  return (
    <div class="narrow">
      <ErrorSummary errors={error ? [{ field: `lang-${offered[0]}`, text: t("language.missing") }] : []} />
      <form onSubmit={next} noValidate>
        <fieldset class="radios" aria-describedby="language-hint">
          <legend>
            <Heading caption={pick(exam.title)}>{t("language.title")}</Heading>
          </legend>
          <p class="hint" id="language-hint">
            {t("language.hint")}
          </p>
          {offered.map((code) => (
            <label class="radio" key={code} lang={code}>
              <input
                type="radio"
                name="language"
                id={`lang-${code}`}
                value={code}
                checked={choice === code}
                onChange={() => {
                  setChoice(code);
                  setLang(code);
                }}
              />
              <span>{NATIVE[code]}</span>
            </label>
          ))}
        </fieldset>
        <Button type="submit">{t("common.continue")}</Button>
        <Button variant="secondary" onClick={onBack}>
          {t("common.back_to_cabinet")}
        </Button>
      </form>
    </div>
  );
}
