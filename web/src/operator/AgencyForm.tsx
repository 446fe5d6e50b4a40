/** Create an agency with its first admin (the admin's one-time password is shown once), or edit one: name,
 * contact, retention (30–365 days), suspend/reactivate. */
import { useState } from "preact/hooks";
import type { Lang, Localized } from "../shared/api/types";
import { LANGS } from "../shared/i18n/i18n";
import { ErrorSummary } from "../shared/ui/components";
import { ActionLine, Field, useAction } from "../admin/ui";
import { type Agency, operatorApi } from "./api";
import { tr } from "./i18n";

const NATIVE: Record<Lang, string> = { kk: "Қазақша", ru: "Русский", en: "English" };
/** A form problem; its text is a function so a language switch re-renders it in the new language. */
interface Problem {
  field: string;
  text: () => string;
}

export const AGENCY_CODE = /^[a-z0-9][a-z0-9-]{2,39}$/;

export function AgencyForm({ agency, onDone }: { agency: Agency | null; onDone: (changed: boolean) => void }) {
  const [code, setCode] = useState(agency?.agency_id ?? "");
  const [name, setName] = useState<Localized>(agency?.name ?? { kk: "", ru: "", en: "" });
  const [contact, setContact] = useState({ name: "", email: "", phone: "", ...agency?.contact });
  const [retention, setRetention] = useState(String(agency?.retention_days ?? 30));
  const [status, setStatus] = useState<"active" | "suspended">(agency?.status ?? "active");
  const [adminLogin, setAdminLogin] = useState("");
  const [adminName, setAdminName] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [created, setCreated] = useState<{ login: string; password: string; agency: string } | null>(null);
  const [action, run] = useAction();
  const err = (field: string) => problems.find((p) => p.field === field)?.text();

  const submit = (e: Event) => {
    e.preventDefault();
    const found: Problem[] = [];
    if (!agency && (!AGENCY_CODE.test(code) || code === "platform")) found.push({ field: "agency-code", text: () => tr("operator.form.code_invalid") });
    if (!name.ru.trim() && !name.kk.trim() && !name.en.trim()) found.push({ field: "agency-name-kk", text: () => tr("operator.form.name_missing") });
    if (!contact.name.trim()) found.push({ field: "contact-name", text: () => tr("operator.form.contact_name_missing") });
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(contact.email.trim())) found.push({ field: "contact-email", text: () => tr("operator.form.email_invalid") });
    const days = Number(retention);
    if (!Number.isInteger(days) || days < 30 || days > 365) found.push({ field: "retention", text: () => tr("operator.form.retention_invalid") });
    if (!agency && !/^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/.test(adminLogin.trim())) found.push({ field: "admin-login", text: () => tr("operator.form.admin_login_invalid") });
    if (!agency && !adminName.trim()) found.push({ field: "admin-name", text: () => tr("operator.form.admin_name_missing") });
    setProblems(found);
    if (found.length) return;
    const filled = Object.fromEntries(LANGS.map((c) => [c, name[c].trim() || name.ru.trim() || name.kk.trim() || name.en.trim()])) as Localized;
    const phone = (contact.phone ?? "").trim();
    const cleanContact = { name: contact.name.trim(), email: contact.email.trim(), ...(phone ? { phone } : {}) };
    void run(async () => {
      if (agency) {
        await operatorApi.updateAgency(agency.agency_id, { name: filled, contact: cleanContact, retention_days: days, status });
        setTimeout(() => onDone(true), 500);
        return () => tr("operator.form.saved");
      }
      const answer = await operatorApi.createAgency({
        agency_id: code,
        name: filled,
        contact: cleanContact,
        retention_days: days,
        admin: { login: adminLogin.trim(), full_name: adminName.trim() },
      });
      setCreated({ login: answer.admin.login, password: answer.admin.password, agency: answer.agency.agency_id });
      return () => tr("operator.form.created", { code: answer.agency.agency_id });
    });
  };

  if (created)
    return (
      <section aria-labelledby="created-title">
        <h1 class="heading-l" id="created-title" tabIndex={-1}>{tr("operator.form.created", { code: created.agency })}</h1>
        <div class="notice notice--warning ac-otp" id="agency-admin-password">
          <p class="notice__title">{tr("operator.form.admin_password_title")}</p>
          <dl class="ac-credentials">
            <div><dt>{tr("operator.form.login_link")}</dt><dd><code data-testid="login-link">{`${location.origin}/?agency=${created.agency}`}</code></dd></div>
            <div><dt>{tr("operator.form.admin_login")}</dt><dd><code data-testid="admin-login">{created.login}</code></dd></div>
            <div><dt>{tr("operator.form.password")}</dt><dd><code class="ac-password" data-testid="one-time-password">{created.password}</code></dd></div>
          </dl>
          <p>{tr("operator.form.password_once")}</p>
        </div>
        <button type="button" class="button button--primary" id="agency-done" onClick={() => onDone(true)}>{tr("operator.form.done")}</button>
      </section>
    );

  return (
    <section aria-labelledby="agency-form-title">
      <h1 class="heading-l" id="agency-form-title" tabIndex={-1}>
        {agency ? tr("operator.form.edit_title", { code: agency.agency_id }) : tr("operator.form.new_title")}
      </h1>
      <ErrorSummary errors={problems.map((p) => ({ field: p.field, text: p.text() }))} />
      <form onSubmit={submit} noValidate class="ac-form" id="agency-form">
        <fieldset class="ac-fieldset">
          <legend class="pc-h2">{tr("operator.form.agency")}</legend>
          {!agency && (
            <Field id="agency-code" label={tr("operator.form.code")} hint={tr("operator.form.code_hint")} error={err("agency-code")}>
              <input id="agency-code" class="pc-input pc-input--short" autoComplete="off" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value.trim().toLowerCase())} />
            </Field>
          )}
          <div class="ac-grid3">
            {LANGS.map((c) => (
              <Field key={c} id={`agency-name-${c}`} label={tr("operator.form.name_in", { lang: NATIVE[c] })} error={c === "kk" ? err("agency-name-kk") : undefined}>
                <input id={`agency-name-${c}`} lang={c} class="pc-input" value={name[c]} onInput={(e) => setName({ ...name, [c]: (e.target as HTMLInputElement).value })} />
              </Field>
            ))}
          </div>
          <div class="ac-grid3">
            <Field id="contact-name" label={tr("operator.form.contact_name")} error={err("contact-name")}>
              <input id="contact-name" class="pc-input" value={contact.name} onInput={(e) => setContact({ ...contact, name: (e.target as HTMLInputElement).value })} />
            </Field>
            <Field id="contact-email" label={tr("operator.form.contact_email")} error={err("contact-email")}>
              <input id="contact-email" type="email" class="pc-input" value={contact.email} onInput={(e) => setContact({ ...contact, email: (e.target as HTMLInputElement).value })} />
            </Field>
            <Field id="contact-phone" label={tr("operator.form.contact_phone")}>
              <input id="contact-phone" type="tel" class="pc-input" value={contact.phone} onInput={(e) => setContact({ ...contact, phone: (e.target as HTMLInputElement).value })} />
            </Field>
          </div>
          <Field id="retention" label={tr("operator.form.retention")} hint={tr("operator.form.retention_hint")} error={err("retention")}>
            <input id="retention" type="number" min={30} max={365} class="pc-input ac-input--num" value={retention} onInput={(e) => setRetention((e.target as HTMLInputElement).value)} />
          </Field>
          {agency && (
            <div class="ac-field">
              <span class="label">{tr("operator.form.status")}</span>
              <span class="hint ac-hint">{tr("operator.form.status_hint")}</span>
              <label class="ac-check"><input type="radio" name="status" id="status-active" checked={status === "active"} onChange={() => setStatus("active")} /> {tr("operator.agencies.active")}</label>
              <label class="ac-check"><input type="radio" name="status" id="status-suspended" checked={status === "suspended"} onChange={() => setStatus("suspended")} /> {tr("operator.agencies.suspended")}</label>
            </div>
          )}
        </fieldset>
        {!agency && (
          <fieldset class="ac-fieldset">
            <legend class="pc-h2">{tr("operator.form.first_admin")}</legend>
            <p class="hint ac-hint">{tr("operator.form.first_admin_hint")}</p>
            <div class="ac-grid3">
              <Field id="admin-login" label={tr("operator.form.admin_login")} error={err("admin-login")}>
                <input id="admin-login" class="pc-input" autoComplete="off" value={adminLogin} onInput={(e) => setAdminLogin((e.target as HTMLInputElement).value)} />
              </Field>
              <Field id="admin-name" label={tr("operator.form.admin_name")} error={err("admin-name")}>
                <input id="admin-name" class="pc-input" value={adminName} onInput={(e) => setAdminName((e.target as HTMLInputElement).value)} />
              </Field>
            </div>
          </fieldset>
        )}
        <div class="pc-action__row">
          <button type="submit" class="button button--primary" id="agency-save" disabled={action.state === "pending"}>{agency ? tr("operator.form.save") : tr("operator.form.create")}</button>
          <button type="button" class="button button--secondary" onClick={() => onDone(false)}>{tr("operator.form.cancel")}</button>
        </div>
        <ActionLine action={action} id="agency-state" />
      </form>
    </section>
  );
}
