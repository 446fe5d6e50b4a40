import { useState } from "preact/hooks";
import { type Auth, api } from "../shared/api/client";
import { errorText, t } from "../shared/i18n/i18n";
import { Button, ErrorSummary, Heading } from "../shared/ui/components";

const AGENCY_KEY = "proctor.agency";

/** Logins are each organisation's own: its code comes from the link it hands out (`/?agency=<code>`), else from
 * the last successful login on this browser; the field stays visible and editable either way. */
export function initialAgency(search: string = location.search): string {
  const fromLink = new URLSearchParams(search).get("agency")?.trim();
  if (fromLink) return fromLink;
  try {
    return localStorage.getItem(AGENCY_KEY) ?? "";
  } catch {
    return "";
  }
}

function rememberAgency(agency: string): void {
  try {
    localStorage.setItem(AGENCY_KEY, agency);
  } catch {
    // storage unavailable: the link fills it in next time
  }
}

export function Login({ onLogin }: { onLogin: (auth: Auth) => void }) {
  const [agency, setAgency] = useState(initialAgency);
  const [userId, setUserId] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setErrors] = useState<{ field?: string; text: () => string }[]>([]);
  const errors = problems.map((e) => ({ field: e.field, text: e.text() }));
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const missing = [];
    if (!agency.trim()) missing.push({ field: "agency", text: () => t("login.agency_missing") });
    if (!userId.trim()) missing.push({ field: "user-id", text: () => t("login.user_id_missing") });
    if (!password) missing.push({ field: "password", text: () => t("login.password_missing") });
    setErrors(missing);
    if (missing.length) return;
    setBusy(true);
    try {
      const answer = await api.login(agency.trim(), userId.trim(), password);
      rememberAgency(agency.trim());
      onLogin({
        token: answer.token,
        user_id: answer.user_id,
        role: answer.role,
        full_name: answer.full_name,
        expires_at: answer.expires_at,
      });
    } catch (error) {
      setErrors([{ field: "user-id", text: () => errorText(error) }]);
      setBusy(false);
    }
  };
  const fieldError = (field: string) => errors.find((e) => e.field === field);

  return (
    <div class="narrow">
      <ErrorSummary errors={errors} />
      <Heading caption={t("cabinet.title")}>{t("login.title")}</Heading>
      <form onSubmit={submit} noValidate>
        <div class={`field ${fieldError("agency") ? "field--error" : ""}`}>
          <label for="agency">{t("login.agency")}</label>
          <span class="hint" id="agency-hint">
            {t("login.agency_hint")}
          </span>
          {fieldError("agency") && <span class="error-message">{fieldError("agency")!.text}</span>}
          <input
            class="input"
            id="agency"
            name="agency"
            autocomplete="organization"
            autocapitalize="none"
            spellcheck={false}
            aria-describedby="agency-hint"
            value={agency}
            onInput={(e) => setAgency(e.currentTarget.value)}
          />
        </div>
        <div class={`field ${fieldError("user-id") ? "field--error" : ""}`}>
          <label for="user-id">{t("login.user_id")}</label>
          <span class="hint" id="user-id-hint">
            {t("login.user_id_hint")}
          </span>
          {fieldError("user-id") && <span class="error-message">{fieldError("user-id")!.text}</span>}
          <input
            class="input"
            id="user-id"
            name="user_id"
            autocomplete="username"
            aria-describedby="user-id-hint"
            value={userId}
            onInput={(e) => setUserId(e.currentTarget.value)}
          />
        </div>
        <div class={`field ${fieldError("password") ? "field--error" : ""}`}>
          <label for="password">{t("login.password")}</label>
          {fieldError("password") && <span class="error-message">{fieldError("password")!.text}</span>}
          <input
            class="input"
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <Button type="submit" busy={busy}>
          {t("login.submit")}
        </Button>
      </form>
    </div>
  );
}
