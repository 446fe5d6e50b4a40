/** Results: per candidate score, verdict, violations by severity, credibility, review status; CSV and XLSX files. */
import { useState } from "preact/hooks";
import { formatNumber, lang } from "../shared/i18n/i18n";
import { Tag } from "../shared/ui/components";
import { adminApi, type ResultRow } from "./api";
import { adminError, tr, trOr } from "./i18n";
import { DownloadButton, LoadState, useLoad } from "./ui";

const SEVERITIES = ["high", "medium", "low"] as const;

export function ResultsScreen({ examId }: { examId: string }) {
  const [extra, setExtra] = useState<ResultRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [first] = useLoad(async () => {
    const page = await adminApi.results(examId);
    setExtra([]);
    setCursor(page.next_cursor);
    return page;
  }, [examId]);
  const more = async () => {
    if (!cursor) return;
    try {
      const page = await adminApi.results(examId, cursor);
      setExtra((old) => [...old, ...page.results]);
      setCursor(page.next_cursor);
    } catch (error) {
      setMoreError(error);
    }
  };
  return (
    <section aria-labelledby="results-title">
      <div class="pc-bar">
        <h1 class="heading-l" id="results-title" tabIndex={-1}>{tr("admin.results.title")}</h1>
        <DownloadButton id="results-csv" label={tr("admin.results.csv")} file={() => adminApi.resultsFile(examId, "csv", lang())} name={`results-${examId}.csv`} />
        <DownloadButton id="results-xlsx" label={tr("admin.results.xlsx")} file={() => adminApi.resultsFile(examId, "xlsx", lang())} name={`results-${examId}.xlsx`} />
      </div>
      <LoadState value={first}>
        {(page) => {
          const rows = [...page.results, ...extra];
          return rows.length === 0 ? (
            <p class="pc-muted">{tr("admin.results.none")}</p>
          ) : (
            <>
              <div class="ac-scroll">
                <table class="pc-table pc-table--compact" id="results-table">
                  <thead>
                    <tr>
                      <th scope="col">{tr("admin.roster.col.login")}</th>
                      <th scope="col">{tr("admin.roster.col.name")}</th>
                      <th scope="col">{tr("admin.results.col.status")}</th>
                      <th scope="col" class="pc-right">{tr("admin.results.col.score")}</th>
                      <th scope="col">{tr("admin.results.col.verdict")}</th>
                      {SEVERITIES.map((s) => <th scope="col" class="pc-right" key={s}>{tr(`admin.results.col.violations_${s}`)}</th>)}
                      <th scope="col" class="pc-right">{tr("admin.results.col.credibility")}</th>
                      <th scope="col">{tr("admin.results.col.review")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr key={r.login} data-login={r.login}>
                        <td>{r.login}</td>
                        <td>{r.full_name ?? "—"}</td>
                        <td>{trOr(`admin.session.${r.status}`, r.status)}</td>
                        <td class="pc-right pc-num">
                          {r.score === null || r.score === undefined ? "—" : `${formatNumber(r.score, 2)} / ${formatNumber(r.max_score ?? 0)}`}
                          {r.percent !== null && r.percent !== undefined && <p class="pc-muted pc-small">{formatNumber(r.percent, 1)} %</p>}
                        </td>
                        <td>{r.verdict ? <Tag kind={r.verdict.startsWith("annul") ? "red" : "green"}>{trOr(`admin.verdict.${r.verdict}`, r.verdict)}</Tag> : "—"}</td>
                        {SEVERITIES.map((s) => <td class="pc-right pc-num" key={s}>{r.violations?.[s] ?? 0}</td>)}
                        <td class="pc-right pc-num">{r.credibility === null || r.credibility === undefined ? "—" : formatNumber(r.credibility)}</td>
                        <td>{r.review_status ? trOr(`admin.review.${r.review_status}`, r.review_status) : "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {cursor && <button type="button" class="button button--secondary pc-small-button" id="results-more" onClick={more}>{tr("admin.common.more")}</button>}
              {moreError !== null && <p class="error-message">{adminError(moreError)}</p>}
            </>
          );
        }}
      </LoadState>
    </section>
  );
}
