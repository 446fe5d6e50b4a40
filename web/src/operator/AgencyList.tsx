/** Agencies: code, name, contact, retention, status; create, edit, plan. */
import { pick } from "../shared/i18n/i18n";
import { Tag } from "../shared/ui/components";
import { LoadState, useLoad, when } from "../admin/ui";
import { type Agency, operatorApi } from "./api";
import { tr } from "./i18n";

export function AgencyList({ onNew, onEdit, onPlan }: { onNew: () => void; onEdit: (a: Agency) => void; onPlan: (a: Agency) => void }) {
  const [agencies] = useLoad(() => operatorApi.agencies(), []);
  return (
    <section aria-labelledby="agencies-title">
      <div class="pc-bar">
        <h1 class="heading-l" id="agencies-title" tabIndex={-1}>{tr("operator.agencies.title")}</h1>
        <button type="button" class="button button--primary" id="new-agency" onClick={onNew}>{tr("operator.agencies.new")}</button>
      </div>
      <LoadState value={agencies}>
        {({ agencies: list }) =>
          list.length === 0 ? (
            <p class="pc-muted">{tr("operator.agencies.none")}</p>
          ) : (
            <table class="pc-table" id="agency-table">
              <thead>
                <tr>
                  <th scope="col">{tr("operator.agencies.col.agency")}</th>
                  <th scope="col">{tr("operator.agencies.col.contact")}</th>
                  <th scope="col" class="pc-right">{tr("operator.agencies.col.retention")}</th>
                  <th scope="col">{tr("operator.agencies.col.status")}</th>
                  <th scope="col">{tr("operator.agencies.col.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.agency_id} data-agency={a.agency_id}>
                    <td><strong>{pick(a.name)}</strong><p class="pc-muted pc-small">{a.agency_id} · {when(a.created_at)}</p></td>
                    <td class="pc-small">{a.contact?.name}<br />{a.contact?.email}<br />{a.contact?.phone}</td>
                    <td class="pc-right pc-num">{tr("operator.agencies.days", { n: a.retention_days })}</td>
                    <td>{a.status === "suspended" ? <Tag kind="red">{tr("operator.agencies.suspended")}</Tag> : <Tag kind="green">{tr("operator.agencies.active")}</Tag>}</td>
                    <td class="ac-actions">
                      <button type="button" class="linkish" data-action="edit" onClick={() => onEdit(a)}>{tr("operator.agencies.edit")}</button>
                      <button type="button" class="linkish" data-action="plan" onClick={() => onPlan(a)}>{tr("operator.agencies.plan")}</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </section>
  );
}
