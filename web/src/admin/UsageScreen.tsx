/** Usage and statement: pick a month; what was metered per exam, the statement's lines (sittings × unit price) and
 * total under the agency's plan; CSV and PDF of the statement. */
import { useState } from "preact/hooks";
import { formatNumber, lang, useLang } from "../shared/i18n/i18n";
import { formatCount, formatMoney, recentMonths, tierFor, tierRanges } from "../shared/ui/billing";
import { adminApi, type Statement } from "./api";
import { tr } from "./i18n";
import { DownloadButton, LoadState, useLoad } from "./ui";

export function MonthPicker({ value, onChange, id = "month" }: { value: string; onChange: (m: string) => void; id?: string }) {
  const months = recentMonths(new Date(), 24);
  return (
    <div class="pc-filter">
      <label for={id}>{tr("admin.usage.month")}</label>
      <input id={id} type="month" class="pc-input pc-input--short" value={value} max={months[0]} list={`${id}-list`} onChange={(e) => (e.target as HTMLInputElement).value && onChange((e.target as HTMLInputElement).value)} />
      <datalist id={`${id}-list`}>{months.map((m) => <option key={m} value={m} />)}</datalist>
    </div>
  );
}

export function StatementView({ statement }: { statement: Statement }) {
  const l = lang();
  const money = (v: string) => formatMoney(v, statement.currency, l);
  const units = Number(statement.total_units);
  const tier = statement.plan ? tierFor(statement.plan, units) : -1;
  return (
    <div class="ac-statement" id="statement" data-total={statement.total}>
      <table class="pc-table" id="statement-lines">
        <caption class="pc-caption">{tr("admin.usage.statement_caption", { month: statement.month })}</caption>
        <thead>
          <tr>
            <th scope="col">{tr("admin.usage.col.exam")}</th>
            <th scope="col" class="pc-right">{tr("admin.usage.col.sittings")}</th>
            <th scope="col" class="pc-right">{tr("admin.usage.col.hours")}</th>
            <th scope="col" class="pc-right">{tr(statement.unit === "exam_hour" ? "admin.usage.col.units_hours" : "admin.usage.col.units_exams")}</th>
            <th scope="col" class="pc-right">{tr("admin.usage.col.unit_price")}</th>
            <th scope="col" class="pc-right">{tr("admin.usage.col.amount")}</th>
          </tr>
        </thead>
        <tbody>
          {statement.lines.map((line) => (
            <tr key={line.exam_id} data-exam={line.exam_id}>
              <td>{line.exam_title}<p class="pc-muted pc-small">{line.exam_id}</p></td>
              <td class="pc-right pc-num">{formatNumber(line.sittings)}</td>
              <td class="pc-right pc-num">{formatNumber(Number(line.proctored_hours), 2)}</td>
              <td class="pc-right pc-num">{formatNumber(Number(line.units), 4)}</td>
              <td class="pc-right pc-num">{money(line.unit_price)}</td>
              <td class="pc-right pc-num">{money(line.amount)}</td>
            </tr>
          ))}
          {statement.lines.length === 0 && (
            <tr><td colSpan={6} class="pc-muted">{tr("admin.usage.no_lines")}</td></tr>
          )}
        </tbody>
        <tfoot>
          <tr class="ac-total">
            <th scope="row" colSpan={5}>{tr("admin.usage.total")}</th>
            <td class="pc-right pc-num" id="statement-total">{money(statement.total)}</td>
          </tr>
        </tfoot>
      </table>
      {statement.plan && (
        <div class="ac-plan">
          <h3 class="pc-h3">{tr("admin.usage.plan")}</h3>
          <p>{tr(statement.unit === "exam_hour" ? "admin.usage.plan_per_hour" : "admin.usage.plan_per_exam")}</p>
          <ul class="ac-tiers">
            {tierRanges(statement.plan).map((r, i) => (
              <li key={i} class={i === tier ? "ac-tier--current" : ""}>
                {r.to === null ? tr("admin.usage.tier_open", { from: formatCount(r.from, lang()), price: money(r.unit_price) }) : tr("admin.usage.tier", { from: formatCount(r.from, lang()), to: formatCount(r.to, lang()), price: money(r.unit_price) })}
                {i === tier && <> · <strong>{tr("admin.usage.tier_this_month")}</strong></>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export function UsageScreen() {
  const language = useLang();
  const [month, setMonth] = useState(recentMonths(new Date(), 1)[0]);
  const [usage] = useLoad(() => adminApi.usage(month, language), [month, language]);
  const [statement] = useLoad(() => adminApi.statement(month, language), [month, language]);
  return (
    <section aria-labelledby="usage-title">
      <div class="pc-bar">
        <h1 class="heading-l" id="usage-title" tabIndex={-1}>{tr("admin.usage.title")}</h1>
        <MonthPicker value={month} onChange={setMonth} />
        <DownloadButton id="statement-csv" label={tr("admin.usage.csv")} file={() => adminApi.statementFile(month, "csv", language)} name={`statement-${month}.csv`} />
        <DownloadButton id="statement-pdf" label={tr("admin.usage.pdf")} file={() => adminApi.statementFile(month, "pdf", language)} name={`statement-${month}.pdf`} />
      </div>
      <div class="pc-panel ac-panel">
        <h2 class="pc-h2">{tr("admin.usage.statement")}</h2>
        <LoadState value={statement}>{(s) => <StatementView statement={s} />}</LoadState>
      </div>
      <div class="pc-panel ac-panel">
        <h2 class="pc-h2">{tr("admin.usage.metered")}</h2>
        <p class="hint ac-hint">{tr("admin.usage.metered_hint")}</p>
        <LoadState value={usage}>
          {({ exams }) =>
            exams.length === 0 ? (
              <p class="pc-muted">{tr("admin.usage.no_lines")}</p>
            ) : (
              <table class="pc-table pc-table--compact" id="usage-table">
                <thead>
                  <tr>
                    <th scope="col">{tr("admin.usage.col.exam")}</th>
                    <th scope="col" class="pc-right">{tr("admin.usage.col.sittings")}</th>
                    <th scope="col" class="pc-right">{tr("admin.usage.col.minutes")}</th>
                    <th scope="col" class="pc-right">{tr("admin.usage.col.media")}</th>
                    <th scope="col" class="pc-right">{tr("admin.usage.col.analyzer")}</th>
                    <th scope="col" class="pc-right">{tr("admin.usage.col.identity")}</th>
                  </tr>
                </thead>
                <tbody>
                  {exams.map((u) => (
                    <tr key={u.exam_id}>
                      <td>{u.exam_title || u.exam_id}</td>
                      <td class="pc-right pc-num">{formatNumber(u.sittings)}</td>
                      <td class="pc-right pc-num">{formatNumber(Number(u.proctored_minutes), 1)}</td>
                      <td class="pc-right pc-num">{tr("admin.usage.media_value", { n: u.media_objects, mb: formatNumber(u.media_bytes / 1048576, 1) })}</td>
                      <td class="pc-right pc-num">{tr("admin.usage.seconds", { n: formatNumber(u.analyzer_ms / 1000, 1) })}</td>
                      <td class="pc-right pc-num">{formatNumber(u.identity_checks)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </LoadState>
      </div>
    </section>
  );
}
