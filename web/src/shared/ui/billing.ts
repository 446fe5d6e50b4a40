/** Price plans and statements as people read them (chalicelib/billing/plans.py): tiers as ranges, money, months. */

export type PlanUnit = "exam" | "exam_hour";

export interface Tier {
  up_to: number | null; // units in the month up to and including this many; null = everything above
  unit_price: string; // decimal as text, e.g. "1500.00"
}

export interface PricePlan {
  unit: PlanUnit;
  currency: string;
  tiers: Tier[];
}

export interface TierRange {
  from: number;
  to: number | null;
  unit_price: string;
}

/** "1–10,000", "10,001 and more": each tier's first and last unit. */
export function tierRanges(plan: PricePlan): TierRange[] {
  let from = 1;
  return plan.tiers.map((tier) => {
    const range = { from, to: tier.up_to, unit_price: tier.unit_price };
    if (tier.up_to !== null) from = tier.up_to + 1;
    return range;
  });
}

/** Which tier a month with this many units falls in (volume tiers: that tier's price applies to every unit). */
export function tierFor(plan: PricePlan, units: number): number {
  const index = plan.tiers.findIndex((t) => t.up_to === null || units <= t.up_to);
  return index < 0 ? plan.tiers.length - 1 : index;
}

export type PlanProblem = "no_tiers" | "price" | "bound" | "order" | "last_bounded";

/** What is wrong with a plan the operator is editing, tier by tier (null when the API will take it). */
export function planProblems(plan: PricePlan): { tier: number; problem: PlanProblem }[] {
  const problems: { tier: number; problem: PlanProblem }[] = [];
  if (!plan.tiers.length) return [{ tier: 0, problem: "no_tiers" }];
  let previous = 0;
  plan.tiers.forEach((tier, i) => {
    const last = i === plan.tiers.length - 1;
    if (!/^\d{1,7}(\.\d{1,2})?$/.test(tier.unit_price) || Number(tier.unit_price) > 1_000_000)
      problems.push({ tier: i, problem: "price" });
    if (last && tier.up_to !== null) problems.push({ tier: i, problem: "last_bounded" });
    if (!last) {
      if (tier.up_to === null || !Number.isInteger(tier.up_to) || tier.up_to < 1) problems.push({ tier: i, problem: "bound" });
      else if (tier.up_to <= previous) problems.push({ tier: i, problem: "order" });
      else previous = tier.up_to;
    }
  });
  return problems;
}

/** The plan with prices as the API wants them ("1500" → "1500.00"). */
export function normalizedPlan(plan: PricePlan): PricePlan {
  return {
    ...plan,
    tiers: plan.tiers.map((t, i) => ({
      up_to: i === plan.tiers.length - 1 ? null : t.up_to,
      unit_price: Number(t.unit_price).toFixed(2),
    })),
  };
}

// Browsers' ICU data often lacks kk-KZ (it falls back to "1,500.00"); Kazakhstan writes numbers as Russian does.
const LOCALES: Record<string, string> = { kk: "ru-RU", ru: "ru-RU", en: "en-GB" };

/** "10 001" / "10,001": a count in the reader's grouping. */
export function formatCount(value: number, lang: string): string {
  return new Intl.NumberFormat(LOCALES[lang] ?? "en-GB", { maximumFractionDigits: 0 }).format(value);
}

/** "1 500,00 ₸" / "KZT 1,500.00": the API's decimal text in the reader's format (2 places, as the API fixed them). */
export function formatMoney(amount: string, currency: string, lang: string): string {
  const value = Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  return new Intl.NumberFormat(LOCALES[lang] ?? "en-GB", {
    style: "currency",
    currency,
    currencyDisplay: lang === "en" ? "code" : "narrowSymbol",
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(value);
}

/** "2026-11" for the given date, in Kazakhstan's time (UTC+5): statements are monthly. */
export function monthOf(date: Date): string {
  const almaty = new Date(date.getTime() + 5 * 3600 * 1000);
  return `${almaty.getUTCFullYear()}-${String(almaty.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** This month and the `count - 1` before it, newest first. */
export function recentMonths(now: Date, count = 12): string[] {
  const [year, month] = monthOf(now).split("-").map(Number);
  return Array.from({ length: count }, (_, i) => {
    const index = year * 12 + (month - 1) - i;
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
  });
}

export function isMonth(value: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(value);
}
