/** Question bank: choose a CSV or JSON file, see the row-by-row validation report (dry run, nothing stored), then
 * import; the stored bank previewed per language, with bank size per block against what the exam draws. */
import { useState } from "preact/hooks";
import type { Lang } from "../shared/api/types";
import { LANGS, pick } from "../shared/i18n/i18n";
import { ApiError } from "../shared/api/client";
import { Tag } from "../shared/ui/components";
import { adminApi, type BankReport, type BlockCount } from "./api";
import { problemText, tr } from "./i18n";
import { ActionLine, LoadState, useAction, useLoad } from "./ui";

const NATIVE: Record<Lang, string> = { kk: "Қазақша", ru: "Русский", en: "English" };
const MAX_BYTES = 8 * 1024 * 1024; // the API's bank limit

export function BankScreen({ examId, onChanged }: { examId: string; onChanged: () => void }) {
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [report, setReport] = useState<BankReport | null>(null);
  const [check, runCheck] = useAction();
  const [store, runStore, resetStore] = useAction();
  const [preview, reloadPreview] = useLoad(() => adminApi.bank(examId), [examId]);
  const [exam] = useLoad(() => adminApi.exam(examId), [examId]);
  const [lang, setLang] = useState<Lang>("kk");

  const choose = async (input: HTMLInputElement) => {
    const chosen = input.files?.[0];
    setReport(null);
    resetStore();
    if (!chosen) return setFile(null);
    if (chosen.size > MAX_BYTES) {
      setFile(null);
      return runCheck(async () => {
        throw new ApiError(413, "bank.file_too_large", "The file is larger than 8 MiB.");
      });
    }
    const next = { name: chosen.name, text: await chosen.text() };
    setFile(next);
    await runCheck(async () => {
      const answer = await adminApi.checkBank(examId, next.name, next.text);
      setReport(answer);
      return () => (answer.ok ? tr("admin.bank.check_ok", { n: answer.rows.length }) : tr("admin.bank.check_failed"));
    });
  };

  const bad = report ? report.rows.filter((r) => r.errors.length) : [];
  return (
    <section aria-labelledby="bank-title">
      <h1 class="heading-l" id="bank-title" tabIndex={-1}>
        {tr("admin.bank.title")}
      </h1>
      <div class="pc-panel ac-panel">
        <h2 class="pc-h2">{tr("admin.bank.upload")}</h2>
        <p class="hint ac-hint">{tr("admin.bank.upload_hint")}</p>
        <label for="bank-file" class="label">{tr("admin.bank.file")}</label>
        <input id="bank-file" type="file" accept=".csv,.json,text/csv,application/json" onChange={(e) => void choose(e.target as HTMLInputElement)} />
        <ActionLine action={check} id="bank-check-state" />
        {report && (
          <div id="bank-report" data-ok={report.ok ? "true" : "false"}>
            <h3 class="pc-h3">{tr("admin.bank.report")}</h3>
            <p>
              {report.ok ? <Tag kind="green">{tr("admin.bank.report_ok")}</Tag> : <Tag kind="red">{tr("admin.bank.report_bad", { n: bad.length })}</Tag>}{" "}
              {tr("admin.bank.report_rows", { n: report.rows.length })}
            </p>
            {!!report.file_errors?.length && (
              <ul class="pc-reasons error-message" id="bank-file-errors">
                {report.file_errors.map((e, i) => (
                  <li key={i}>{e.row ? `${tr("admin.bank.col.row")} ${e.row}: ` : ""}{problemText(e.code)}</li>
                ))}
              </ul>
            )}
            <PerBlock perBlock={report.per_block} valid />
            <div class="ac-scroll ac-scroll--tall">
              <table class="pc-table pc-table--compact" id="bank-rows">
                <caption class="pc-caption">{tr("admin.bank.rows_caption")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{tr("admin.bank.col.row")}</th>
                    <th scope="col">{tr("admin.bank.col.item")}</th>
                    <th scope="col">{tr("admin.bank.col.result")}</th>
                  </tr>
                </thead>
                <tbody>
                  {(bad.length ? [...bad, ...report.rows.filter((r) => !r.errors.length)] : report.rows).slice(0, 500).map((r) => (
                    <tr key={`${r.row}-${r.item_id}`} data-row={r.row} class={r.errors.length ? "ac-row--error" : ""}>
                      <td class="pc-num">{r.row}</td>
                      <td>{r.item_id ?? "—"}</td>
                      <td>
                        {r.errors.length ? (
                          <ul class="pc-reasons">
                            {r.errors.map((e, i) => {
                              const code = typeof e === "string" ? e : e.code;
                              const field = typeof e === "string" ? "" : e.field;
                              return <li key={i} data-code={code}>{problemText(code)}{field ? ` (${field})` : ""}</li>;
                            })}
                          </ul>
                        ) : (
                          <Tag kind="green">{tr("admin.bank.row_ok")}</Tag>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {report.rows.length > 500 && <p class="pc-muted">{tr("admin.bank.rows_more", { n: report.rows.length - 500 })}</p>}
            <div class="pc-action__row">
              <button
                type="button"
                class="button button--primary"
                id="bank-import"
                disabled={!report.ok || !file || store.state === "pending" || store.state === "done"}
                onClick={() =>
                  file &&
                  runStore(async () => {
                    const answer = await adminApi.importBank(examId, file.name, file.text);
                    reloadPreview();
                    onChanged();
                    return () => tr("admin.bank.imported", { n: answer.imported, size: answer.bank_size });
                  })
                }
              >
                {tr("admin.bank.import")}
              </button>
              {!report.ok && <span class="pc-muted">{tr("admin.bank.fix_first")}</span>}
            </div>
            <ActionLine action={store} id="bank-import-state" />
          </div>
        )}
      </div>

      <div class="pc-panel ac-panel" id="bank-preview">
        <div class="pc-bar">
          <h2 class="pc-h2">{tr("admin.bank.preview")}</h2>
          <div class="pc-filter">
            <label for="preview-lang">{tr("admin.bank.preview_lang")}</label>
            <select id="preview-lang" class="pc-select" value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value as Lang)}>
              {LANGS.map((code) => (
                <option key={code} value={code}>{NATIVE[code]}</option>
              ))}
            </select>
          </div>
        </div>
        <LoadState value={preview}>
          {(bank) => {
            const blocks = exam.state === "ready" ? exam.data.blocks : [];
            const title = (id: string) => {
              const b = blocks.find((x) => x.block_id === id);
              return b ? pick(b.title) : id;
            };
            return (
              <>
                <p id="bank-size">{tr("admin.bank.size", { n: bank.bank_size })}</p>
                <PerBlock perBlock={bank.per_block} />
                {Object.keys(bank.per_block).map((blockId) => {
                  const items = bank.items.filter((item) => item.block_id === blockId);
                  return (
                    <details key={blockId} class="ac-block" data-block={blockId}>
                      <summary>
                        {title(blockId)} · {tr("admin.bank.items_n", { n: items.length })}
                      </summary>
                      <ol class="ac-items">
                        {items.map((item) => (
                          <li key={item.item_id} data-item={item.item_id}>
                            <p lang={lang} class={item.text[lang] ? "" : "pc-muted"}>
                              {item.text[lang] || tr("admin.bank.no_text", { lang: NATIVE[lang] })}{" "}
                              <span class="pc-muted pc-small">({item.item_id})</span>
                            </p>
                            <ul class="ac-options">
                              {item.options.map((o) => (
                                <li key={o.option_id} lang={lang} class={o.option_id === item.correct_option ? "ac-correct" : ""}>
                                  {o.text[lang] || "—"}
                                  {o.option_id === item.correct_option && <> {tr("admin.bank.correct")}</>}
                                </li>
                              ))}
                            </ul>
                          </li>
                        ))}
                      </ol>
                    </details>
                  );
                })}
                {bank.next_cursor && <p class="pc-muted">{tr("admin.bank.preview_first", { n: bank.items.length })}</p>}
              </>
            );
          }}
        </LoadState>
      </div>
    </section>
  );
}

function PerBlock({ perBlock, valid }: { perBlock: Record<string, BlockCount>; valid?: boolean }) {
  const entries = Object.entries(perBlock);
  if (!entries.length) return null;
  return (
    <table class="pc-table pc-table--compact ac-perblock" data-testid="per-block">
      <thead>
        <tr>
          <th scope="col">{tr("admin.bank.col.block")}</th>
          <th scope="col" class="pc-right">{tr(valid ? "admin.bank.col.valid" : "admin.bank.col.bank")}</th>
          <th scope="col" class="pc-right">{tr("admin.bank.col.draws")}</th>
          <th scope="col">{tr("admin.bank.col.enough")}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([block, { items: all, valid_items, draws }]) => {
          const items = valid && valid_items !== undefined ? valid_items : all;
          return (
          <tr key={block} data-block={block}>
            <td>{block}</td>
            <td class="pc-right pc-num">{items}</td>
            <td class="pc-right pc-num">{draws}</td>
            <td>{items >= draws ? <Tag kind="green">{tr("admin.bank.enough")}</Tag> : <Tag kind="red">{tr("admin.bank.short", { n: draws - items })}</Tag>}</td>
          </tr>
          );
        })}
      </tbody>
    </table>
  );
}
