/** An agency's price plan: per proctored exam or per exam-hour, currency, volume tiers (the month's total picks the
 * tier; its price applies to every unit of the month). */
import { useState } from "preact/hooks";
import { lang, pick } from "../shared/i18n/i18n";
import { formatCount, formatMoney, normalizedPlan, planProblems, type PlanUnit, type PricePlan, tierRanges } from "../shared/ui/billing";
import { ActionLine, LoadState, useAction, useLoad } from "../admin/ui";
import { type Agency, operatorApi } from "./api";
import { tr } from "./i18n";

const CURRENCIES = ["KZT", "USD", "EUR", "RUB"];

export function PlanEditor({ agency, onDone }: { agency: Agency; onDone: (changed: boolean) => void }) {
  const [plan] = useLoad(() => operatorApi.plan(agency.agency_id), [agency.agency_id]);
  return (
    <section aria-labelledby="plan-title">
      <h1 class="heading-l" id="plan-title" tabIndex={-1}>{tr("operator.plan.title", { name: pick(agency.name) })}</h1>
      <LoadState value={plan}>
        {(p) => (
          <>
            <p id="plan-current">
              {p.default ? tr("operator.plan.is_default") : tr("operator.plan.since", { month: p.effective_month ?? p.month })}
            </p>
            <PlanForm agencyId={agency.agency_id} initial={p.plan} month={p.month} onDone={onDone} />
          </>
        )}
      </LoadState>
    </section>
  );
}

function PlanForm({ agencyId, initial, month, onDone }: { agencyId: string; initial: PricePlan; month: string; onDone: (changed: boolean) => void }) {
  const [from, setFrom] = useState(month);
  const [plan, setPlan] = useState<PricePlan>({ unit: initial.unit, currency: initial.currency, tiers: initial.tiers.map((t) => ({ ...t })) });
  const [shown, setShown] = useState(false);
  const [action, run] = useAction();
  const problems = planProblems(plan);
  const setTier = (i: number, change: Partial<PricePlan["tiers"][number]>) =>
    setPlan({ ...plan, tiers: plan.tiers.map((t, j) => (j === i ? { ...t, ...change } : t)) });
  const preview = problems.length ? null : tierRanges(normalizedPlan(plan));
  const save = (e: Event) => {
    e.preventDefault();
    setShown(true);
    if (problems.length) return;
    void run(async () => {
      const saved = await operatorApi.setPlan(agencyId, normalizedPlan(plan), from);
      return () => tr("operator.plan.saved", { month: saved.effective_month });
    });
  };
  return (
    <form onSubmit={save} noValidate class="ac-form" id="plan-form">
      <div class="ac-grid3">
        <div class="ac-field">
          <label for="plan-unit">{tr("operator.plan.unit")}</label>
          <select id="plan-unit" class="pc-select" value={plan.unit} onChange={(e) => setPlan({ ...plan, unit: (e.target as HTMLSelectElement).value as PlanUnit })}>
            <option value="exam">{tr("operator.plan.unit_exam")}</option>
            <option value="exam_hour">{tr("operator.plan.unit_hour")}</option>
          </select>
        </div>
        <div class="ac-field">
          <label for="plan-currency">{tr("operator.plan.currency")}</label>
          <select id="plan-currency" class="pc-select" value={plan.currency} onChange={(e) => setPlan({ ...plan, currency: (e.target as HTMLSelectElement).value })}>
            {CURRENCIES.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </div>
        <div class="ac-field">
          <label for="plan-from">{tr("operator.plan.from")}</label>
          <span class="hint ac-hint">{tr("operator.plan.from_hint")}</span>
          <input id="plan-from" type="month" class="pc-input pc-input--short" min={month} value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value || month)} />
        </div>
      </div>
      <p class="hint ac-hint">{tr("operator.plan.tiers_hint")}</p>
      <table class="pc-table pc-table--compact" id="tier-table">
        <thead>
          <tr>
            <th scope="col">{tr("operator.plan.tier")}</th>
            <th scope="col">{tr("operator.plan.up_to")}</th>
            <th scope="col">{tr("operator.plan.price")}</th>
            <th scope="col"><span class="ac-sr">{tr("operator.plan.remove")}</span></th>
          </tr>
        </thead>
        <tbody>
          {plan.tiers.map((t, i) => {
            const last = i === plan.tiers.length - 1;
            const mine = shown ? problems.filter((p) => p.tier === i) : [];
            return (
              <tr key={i} class={mine.length ? "ac-row--error" : ""}>
                <td>{i + 1}</td>
                <td>
                  {last ? (
                    <span>{tr("operator.plan.no_limit")}</span>
                  ) : (
                    <input id={`tier-${i}-up-to`} type="number" min={1} aria-label={tr("operator.plan.up_to")} class="pc-input ac-input--num" value={t.up_to ?? ""} onInput={(e) => setTier(i, { up_to: Number((e.target as HTMLInputElement).value) || null })} />
                  )}
                </td>
                <td>
                  <input id={`tier-${i}-price`} inputMode="decimal" aria-label={tr("operator.plan.price")} class="pc-input ac-input--num" value={t.unit_price} onInput={(e) => setTier(i, { unit_price: (e.target as HTMLInputElement).value.replace(",", ".").trim() })} />
                  {mine.map((p) => <span key={p.problem} class="error-message">{tr(`operator.plan.problem.${p.problem}`)}</span>)}
                </td>
                <td>
                  {plan.tiers.length > 1 && (
                    <button type="button" class="linkish" onClick={() => setPlan({ ...plan, tiers: plan.tiers.filter((_, j) => j !== i).map((x, j, all) => (j === all.length - 1 ? { ...x, up_to: null } : x)) })}>
                      {tr("operator.plan.remove")}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {plan.tiers.length < 10 && (
        <button
          type="button"
          class="button button--secondary pc-small-button"
          id="tier-add"
          onClick={() => {
            const tiers = plan.tiers.map((t) => ({ ...t }));
            const before = tiers.length > 1 ? (tiers[tiers.length - 2].up_to ?? 0) : 0;
            tiers[tiers.length - 1].up_to = before + 1000;
            tiers.push({ up_to: null, unit_price: tiers[tiers.length - 1].unit_price });
            setPlan({ ...plan, tiers });
          }}
        >
          {tr("operator.plan.add")}
        </button>
      )}
      {preview && (
        <div class="ac-plan" id="plan-preview">
          <h2 class="pc-h3">{tr("operator.plan.reads")}</h2>
          <p>{tr(plan.unit === "exam_hour" ? "admin.usage.plan_per_hour" : "admin.usage.plan_per_exam")}</p>
          <ul class="ac-tiers">
            {preview.map((r, i) => (
              <li key={i}>
                {r.to === null
                  ? tr("admin.usage.tier_open", { from: formatCount(r.from, lang()), price: formatMoney(r.unit_price, plan.currency, lang()) })
                  : tr("admin.usage.tier", { from: formatCount(r.from, lang()), to: formatCount(r.to, lang()), price: formatMoney(r.unit_price, plan.currency, lang()) })}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="pc-action__row">
        <button type="submit" class="button button--primary" id="plan-save" disabled={action.state === "pending"}>{tr("operator.plan.save")}</button>
        <button type="button" class="button button--secondary" onClick={() => onDone(action.state === "done")}>{tr("operator.plan.back")}</button>
      </div>
      <ActionLine action={action} id="plan-state" />
    </form>
  );
}
