/** Statements of every agency for a month: one row per agency (sittings, units, total), lines on demand; CSV. */
import { useState } from "preact/hooks";
import { formatNumber, lang, useLang } from "../shared/i18n/i18n";
import { formatMoney, recentMonths } from "../shared/ui/billing";
import { DownloadButton, LoadState, useLoad } from "../admin/ui";
import { MonthPicker, StatementView } from "../admin/UsageScreen";
import { operatorApi } from "./api";
import { tr } from "./i18n";

export function StatementsScreen() {
  const language = useLang();
  const [month, setMonth] = useState(recentMonths(new Date(), 1)[0]);
  const [all] = useLoad(() => operatorApi.statements(month, language), [month, language]);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="statements-title">
      <div class="pc-bar">
        <h1 class="heading-l" id="statements-title" tabIndex={-1}>{tr("operator.statements.title")}</h1>
        <MonthPicker value={month} onChange={(m) => { setMonth(m); setOpen(null); }} id="op-month" />
        <DownloadButton id="statements-csv" label={tr("operator.statements.csv")} file={() => operatorApi.statementsFile(month, language)} name={`statements-${month}.csv`} />
      </div>
      <LoadState value={all}>
        {({ statements, totals }) =>
          statements.length === 0 ? (
            <p class="pc-muted">{tr("operator.statements.none")}</p>
          ) : (
            <table class="pc-table" id="statements-table">
              <thead>
                <tr>
                  <th scope="col">{tr("operator.agencies.col.agency")}</th>
                  <th scope="col" class="pc-right">{tr("operator.statements.sittings")}</th>
                  <th scope="col" class="pc-right">{tr("operator.statements.units")}</th>
                  <th scope="col" class="pc-right">{tr("operator.statements.unit_price")}</th>
                  <th scope="col" class="pc-right">{tr("operator.statements.total")}</th>
                  <th scope="col">{tr("operator.agencies.col.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {statements.map((s) => (
                  <>
                    <tr key={s.agency_id} data-agency={s.agency_id}>
                      <td>{s.agency_id}</td>
                      <td class="pc-right pc-num">{formatNumber(s.lines.reduce((n, l) => n + l.sittings, 0))}</td>
                      <td class="pc-right pc-num">{formatNumber(Number(s.total_units), 4)}</td>
                      <td class="pc-right pc-num">{formatMoney(s.unit_price, s.currency, lang())}</td>
                      <td class="pc-right pc-num">{formatMoney(s.total, s.currency, lang())}</td>
                      <td>
                        <button type="button" class="linkish" aria-expanded={open === s.agency_id} onClick={() => setOpen(open === s.agency_id ? null : s.agency_id)}>
                          {open === s.agency_id ? tr("operator.statements.hide") : tr("operator.statements.lines")}
                        </button>
                      </td>
                    </tr>
                    {open === s.agency_id && (
                      <tr key={`${s.agency_id}-lines`}>
                        <td colSpan={6}>
                          <StatementView statement={s} />
                          <DownloadButton id={`pdf-${s.agency_id}`} label={tr("operator.statements.pdf")} file={() => operatorApi.agencyStatementFile(s.agency_id, month, "pdf", language)} name={`statement-${s.agency_id}-${month}.pdf`} />
                        </td>
                      </tr>
                    )}
                  </>
                ))}
              </tbody>
              {totals && (
                <tfoot>
                  {Object.entries(totals).map(([currency, total]) => (
                    <tr class="ac-total" key={currency}>
                      <th scope="row" colSpan={4}>{tr("operator.statements.grand_total", { currency })}</th>
                      <td class="pc-right pc-num" id={`statements-total-${currency}`}>{formatMoney(total, currency, lang())}</td>
                      <td />
                    </tr>
                  ))}
                </tfoot>
              )}
            </table>
          )
        }
      </LoadState>
    </section>
  );
}
