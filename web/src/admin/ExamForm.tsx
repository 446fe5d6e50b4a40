/** Create or edit an exam: titles per language, languages, blocks and draws, duration, window, identity check, and
 * the analysis policy, each default explained in plain words (GET /admin/policy-defaults). */
import { useState } from "preact/hooks";
import type { Block, Lang, Localized } from "../shared/api/types";
import { has, LANGS, t } from "../shared/i18n/i18n";
import { ErrorSummary } from "../shared/ui/components";
import { adminApi, type Exam, type ExamDraft, type PolicyDefault } from "./api";
import { trOr, tr } from "./i18n";
import { editableDefaults, normalizeDefaults, overrides } from "./policy";
import { ActionLine, Field, fromLocalInput, LoadState, toLocalInput, useAction, useLoad } from "./ui";

const NATIVE: Record<Lang, string> = { kk: "Қазақша", ru: "Русский", en: "English" };
const blank = (): Localized => ({ kk: "", ru: "", en: "" });

/** A form problem; its text is a function so a language switch re-renders it in the new language. */
interface Problem {
  field: string;
  text: () => string;
}

export function ExamForm({ exam, onDone }: { exam: Exam | null; onDone: (saved: Exam | null) => void }) {
  const [defaults] = useLoad(async () => {
    try {
      return editableDefaults(normalizeDefaults(await adminApi.policyDefaults()));
    } catch {
      return editableDefaults([]); // the form still works with the known defaults
    }
  }, []);
  const now = Date.now();
  const [title, setTitle] = useState<Localized>(exam?.title ?? blank());
  const [languages, setLanguages] = useState<Lang[]>(exam?.languages ?? ["kk", "ru"]);
  const [minutes, setMinutes] = useState(String(Math.round((exam?.duration_s ?? 1500) / 60)));
  const [blocks, setBlocks] = useState<Block[]>(exam?.blocks ?? [{ block_id: "main", title: blank(), item_count: 25 }]);
  const [opens, setOpens] = useState(toLocalInput(exam?.opens_at ?? new Date(now + 86400000).toISOString()));
  const [closes, setCloses] = useState(toLocalInput(exam?.closes_at ?? new Date(now + 2 * 86400000).toISOString()));
  const [identity, setIdentity] = useState(exam?.require_identity ?? true);
  const [policy, setPolicy] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(exam?.analysis ?? {}).filter(([, v]) => typeof v === "number").map(([k, v]) => [k, String(v)])),
  );
  const [problems, setProblems] = useState<Problem[]>([]);
  const [action, run] = useAction();

  const setBlock = (i: number, change: Partial<Block>) => setBlocks(blocks.map((b, j) => (j === i ? { ...b, ...change } : b)));
  const err = (field: string) => problems.find((p) => p.field === field)?.text();

  const submit = (list: PolicyDefault[]) => (e: Event) => {
    e.preventDefault();
    const found: Problem[] = [];
    for (const code of languages)
      if (!title[code].trim()) found.push({ field: `title-${code}`, text: () => tr("admin.form.title_missing", { lang: NATIVE[code] }) });
    if (!languages.length) found.push({ field: "lang-kk", text: () => tr("admin.form.languages_missing") });
    const duration = Number(minutes);
    if (!Number.isInteger(duration) || duration < 1 || duration > 720) found.push({ field: "duration", text: () => tr("admin.form.duration_invalid") });
    blocks.forEach((b, i) => {
      if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(b.block_id)) found.push({ field: `block-${i}-id`, text: () => tr("admin.form.block_id_invalid", { n: i + 1 }) });
      if (!Number.isInteger(b.item_count) || b.item_count < 1) found.push({ field: `block-${i}-count`, text: () => tr("admin.form.block_count_invalid", { n: i + 1 }) });
    });
    const opens_at = fromLocalInput(opens);
    const closes_at = fromLocalInput(closes);
    if (!opens_at || !closes_at || Date.parse(closes_at) <= Date.parse(opens_at)) found.push({ field: "opens", text: () => tr("admin.form.window_invalid") });
    const analysis = overrides(policy, list);
    if ("invalid" in analysis) found.push({ field: `policy-${analysis.invalid}`, text: () => tr("admin.form.policy_invalid") });
    setProblems(found);
    if (found.length || !opens_at || !closes_at || "invalid" in analysis) return;
    const draft: ExamDraft = {
      title: Object.fromEntries(LANGS.map((c) => [c, title[c].trim() || title[languages[0]].trim()])) as Localized,
      languages,
      duration_s: duration * 60,
      blocks: blocks.map((b) => ({
        ...b,
        title: Object.fromEntries(LANGS.map((c) => [c, b.title[c].trim() || b.title[languages[0]].trim() || b.block_id])) as Localized,
      })),
      opens_at,
      closes_at,
      require_identity: identity,
      analysis,
    };
    void run(async () => {
      const saved = exam ? await adminApi.updateExam(exam.exam_id, draft) : await adminApi.createExam(draft);
      setTimeout(() => onDone(saved), 400);
      return () => tr(exam ? "admin.form.saved" : "admin.form.created", { id: saved.exam_id });
    });
  };

  return (
    <section aria-labelledby="exam-form-title" class="ac-form-page">
      <h1 class="heading-l" id="exam-form-title" tabIndex={-1}>
        {exam ? tr("admin.form.edit_title", { id: exam.exam_id }) : tr("admin.form.new_title")}
      </h1>
      <ErrorSummary errors={problems.map((p) => ({ field: p.field, text: p.text() }))} />
      <LoadState value={defaults}>
        {(list) => (
          <form onSubmit={submit(list)} noValidate class="ac-form" id="exam-form">
            <fieldset class="ac-fieldset">
              <legend class="pc-h2">{tr("admin.form.about")}</legend>
              <div class="ac-grid3">
                {LANGS.map((code) => (
                  <Field key={code} id={`title-${code}`} label={tr("admin.form.title_in", { lang: NATIVE[code] })} error={err(`title-${code}`)}>
                    <input id={`title-${code}`} lang={code} class="pc-input" value={title[code]} onInput={(e) => setTitle({ ...title, [code]: (e.target as HTMLInputElement).value })} />
                  </Field>
                ))}
              </div>
              <div class="ac-field">
                <span class="label">{tr("admin.form.languages")}</span>
                <span class="hint ac-hint">{tr("admin.form.languages_hint")}</span>
                <div class="ac-checks">
                  {LANGS.map((code) => (
                    <label key={code} class="ac-check">
                      <input
                        type="checkbox"
                        id={`lang-${code}`}
                        checked={languages.includes(code)}
                        onChange={(e) =>
                          setLanguages((e.target as HTMLInputElement).checked ? LANGS.filter((c) => c === code || languages.includes(c)) : languages.filter((c) => c !== code))
                        }
                      />{" "}
                      {NATIVE[code]}
                    </label>
                  ))}
                </div>
              </div>
              <div class="ac-grid3">
                <Field id="duration" label={tr("admin.form.duration")} hint={tr("admin.form.duration_hint")} error={err("duration")}>
                  <input id="duration" type="number" min={1} max={720} class="pc-input pc-input--short" value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} />
                </Field>
                <Field id="opens" label={tr("admin.form.opens_at")} hint={tr("admin.form.time_hint")} error={err("opens")}>
                  <input id="opens" type="datetime-local" class="pc-input pc-input--short" value={opens} onInput={(e) => setOpens((e.target as HTMLInputElement).value)} />
                </Field>
                <Field id="closes" label={tr("admin.form.closes_at")} hint={tr("admin.form.time_hint")}>
                  <input id="closes" type="datetime-local" class="pc-input pc-input--short" value={closes} onInput={(e) => setCloses((e.target as HTMLInputElement).value)} />
                </Field>
              </div>
              <label class="ac-check">
                <input type="checkbox" id="require-identity" checked={identity} onChange={(e) => setIdentity((e.target as HTMLInputElement).checked)} />{" "}
                {tr("admin.form.identity")}
              </label>
              <p class="hint ac-hint">{tr("admin.form.identity_hint")}</p>
            </fieldset>

            <fieldset class="ac-fieldset">
              <legend class="pc-h2">{tr("admin.form.blocks")}</legend>
              <p class="hint ac-hint">{tr("admin.form.blocks_hint")}</p>
              <table class="pc-table pc-table--compact" id="block-table">
                <thead>
                  <tr>
                    <th scope="col">{tr("admin.form.block_id")}</th>
                    {LANGS.map((code) => (
                      <th scope="col" key={code}>{tr("admin.form.block_title_in", { lang: NATIVE[code] })}</th>
                    ))}
                    <th scope="col">{tr("admin.form.block_count")}</th>
                    <th scope="col"><span class="ac-sr">{tr("admin.form.block_remove")}</span></th>
                  </tr>
                </thead>
                <tbody>
                  {blocks.map((b, i) => (
                    <tr key={i} class={err(`block-${i}-id`) || err(`block-${i}-count`) ? "ac-row--error" : ""}>
                      <td>
                        <input id={`block-${i}-id`} aria-label={tr("admin.form.block_id")} class="pc-input" value={b.block_id} onInput={(e) => setBlock(i, { block_id: (e.target as HTMLInputElement).value.trim() })} />
                      </td>
                      {LANGS.map((code) => (
                        <td key={code}>
                          <input id={`block-${i}-${code}`} lang={code} aria-label={tr("admin.form.block_title_in", { lang: NATIVE[code] })} class="pc-input" value={b.title[code]} onInput={(e) => setBlock(i, { title: { ...b.title, [code]: (e.target as HTMLInputElement).value } })} />
                        </td>
                      ))}
                      <td>
                        <input id={`block-${i}-count`} type="number" min={1} aria-label={tr("admin.form.block_count")} class="pc-input ac-input--num" value={b.item_count} onInput={(e) => setBlock(i, { item_count: Number((e.target as HTMLInputElement).value) })} />
                      </td>
                      <td>
                        {blocks.length > 1 && (
                          <button type="button" class="linkish" onClick={() => setBlocks(blocks.filter((_, j) => j !== i))}>
                            {tr("admin.form.block_remove")}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button type="button" class="button button--secondary pc-small-button" id="add-block" onClick={() => setBlocks([...blocks, { block_id: `block${blocks.length + 1}`, title: blank(), item_count: 10 }])}>
                {tr("admin.form.block_add")}
              </button>
            </fieldset>

            <fieldset class="ac-fieldset" id="policy">
              <legend class="pc-h2">{tr("admin.form.policy")}</legend>
              <p class="hint ac-hint">{tr("admin.form.policy_hint")}</p>
              <dl class="ac-policy">
                {list.map((d) => (
                  <div key={d.name} class={`ac-policy__row ${err(`policy-${d.name}`) ? "field--error" : ""}`} data-policy={d.name}>
                    <dt>
                      <label for={`policy-${d.name}`}>{trOr(`admin.policy.${d.name}.name`, d.name)}</label>
                    </dt>
                    <dd>
                      <p class="ac-policy__help">
                        {d.explanation_key && has(d.explanation_key)
                          ? t(d.explanation_key)
                          : tr(`admin.policy.${d.name}.help`, { value: d.value === null ? "—" : String(d.value) })}
                      </p>
                      <input
                        id={`policy-${d.name}`}
                        inputMode="decimal"
                        class="pc-input ac-input--num"
                        placeholder={d.value === null || d.value === undefined ? "—" : String(d.value)}
                        value={policy[d.name] ?? ""}
                        onInput={(e) => setPolicy({ ...policy, [d.name]: (e.target as HTMLInputElement).value })}
                      />{" "}
                      <span class="pc-muted pc-small">
                        {d.value === null || d.value === undefined ? tr("admin.form.policy_engine") : tr("admin.form.policy_default", { value: String(d.value) })}
                      </span>
                    </dd>
                  </div>
                ))}
              </dl>
            </fieldset>

            <div class="pc-action__row">
              <button type="submit" class="button button--primary" id="save-exam" disabled={action.state === "pending"}>
                {exam ? tr("admin.form.save") : tr("admin.form.create")}
              </button>
              <button type="button" class="button button--secondary" onClick={() => onDone(null)}>
                {tr("admin.common.cancel")}
              </button>
            </div>
            <ActionLine action={action} id="exam-form-state" />
            <p class="pc-muted pc-small">{tr("admin.form.edit_note")}</p>
          </form>
        )}
      </LoadState>
    </section>
  );
}
