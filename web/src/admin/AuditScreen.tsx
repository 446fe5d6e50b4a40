/** Audit log: every account, exam, roster, bank, plan and retention change in the agency, newest first, paged. */
import { useState } from "preact/hooks";
import { adminApi, type AuditEntry } from "./api";
import { tr, trOr } from "./i18n";
import { LoadState, useLoad, when } from "./ui";

export const AUDIT_ACTIONS = [
  "agency.created", "agency.suspended", "agency.reactivated", "staff.created", "staff.updated", "staff.password_reset", "candidate.disabled", "candidate.enabled", "candidate.biometrics_erased", "candidate.erased",
  "candidate.exported", "exam.created", "exam.updated", "roster.imported", "bank.imported", "slot.created", "slot.deleted",
  "results.exported", "plan.changed", "retention.changed",
];

function actor(e: AuditEntry): string {
  const role = e.actor.role === "operator" ? tr("admin.audit.operator") : trOr(`roles.${e.actor.role}`, e.actor.role);
  return `${e.actor.login} (${role})`;
}

function details(d: Record<string, unknown> | undefined): string {
  if (!d) return "";
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join("; ");
}

export function AuditScreen() {
  const [action, setAction] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const [page] = useLoad(() => adminApi.audit(cursor, action || undefined), [cursor, action]);
  return (
    <section aria-labelledby="audit-title">
      <div class="pc-bar">
        <h1 class="heading-l" id="audit-title" tabIndex={-1}>{tr("admin.audit.title")}</h1>
        <div class="pc-filter">
          <label for="audit-action">{tr("admin.audit.filter")}</label>
          <select id="audit-action" class="pc-select" value={action} onChange={(e) => { setAction((e.target as HTMLSelectElement).value); setCursors([null]); }}>
            <option value="">{tr("admin.audit.all")}</option>
            {AUDIT_ACTIONS.map((a) => <option key={a} value={a}>{tr(`admin.audit.action.${a.replace(".", "_")}`)}</option>)}
          </select>
        </div>
      </div>
      <LoadState value={page}>
        {({ entries, next_cursor }) => (
          <>
            {entries.length === 0 ? (
              <p class="pc-muted">{tr("admin.audit.none")}</p>
            ) : (
              <table class="pc-table pc-table--compact" id="audit-table">
                <thead>
                  <tr>
                    <th scope="col">{tr("admin.audit.col.when")}</th>
                    <th scope="col">{tr("admin.audit.col.who")}</th>
                    <th scope="col">{tr("admin.audit.col.action")}</th>
                    <th scope="col">{tr("admin.audit.col.target")}</th>
                    <th scope="col">{tr("admin.audit.col.details")}</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e, i) => (
                    <tr key={e.entry_id ?? i} data-action={e.action}>
                      <td class="pc-small">{when(e.at)}</td>
                      <td>{actor(e)}</td>
                      <td>{trOr(`admin.audit.action.${e.action.replace(".", "_")}`, e.action)}</td>
                      <td>{e.target}</td>
                      <td class="pc-small ac-details">{details(e.details)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div class="pc-action__row">
              <button type="button" class="button button--secondary pc-small-button" id="audit-newer" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>{tr("admin.audit.newer")}</button>
              <span class="pc-muted">{tr("admin.common.page", { page: cursors.length, pages: next_cursor ? `${cursors.length}+` : cursors.length })}</span>
              <button type="button" class="button button--secondary pc-small-button" id="audit-older" disabled={!next_cursor} onClick={() => next_cursor && setCursors([...cursors, next_cursor])}>{tr("admin.audit.older")}</button>
            </div>
          </>
        )}
      </LoadState>
    </section>
  );
}
