import { describe, expect, it } from "vitest";
import { formatCount, formatMoney, isMonth, monthOf, normalizedPlan, planProblems, type PricePlan, recentMonths, tierFor, tierRanges } from "./billing";

const plan: PricePlan = {
  unit: "exam",
  currency: "KZT",
  tiers: [
    { up_to: 10000, unit_price: "1500.00" },
    { up_to: 50000, unit_price: "1300.00" },
    { up_to: null, unit_price: "1200.00" },
  ],
};

describe("price plan display", () => {
  it("shows tiers as ranges of units, the last open-ended", () => {
    expect(tierRanges(plan)).toEqual([
      { from: 1, to: 10000, unit_price: "1500.00" },
      { from: 10001, to: 50000, unit_price: "1300.00" },
      { from: 50001, to: null, unit_price: "1200.00" },
    ]);
  });

  it("finds the tier a month's total falls in (bounds are inclusive)", () => {
    expect(tierFor(plan, 0)).toBe(0);
    expect(tierFor(plan, 10000)).toBe(0);
    expect(tierFor(plan, 10001)).toBe(1);
    expect(tierFor(plan, 1e9)).toBe(2);
  });

  it("accepts a valid plan and names each problem of a bad one", () => {
    expect(planProblems(plan)).toEqual([]);
    expect(planProblems({ ...plan, tiers: [] })).toEqual([{ tier: 0, problem: "no_tiers" }]);
    const bad: PricePlan = {
      ...plan,
      tiers: [
        { up_to: 100, unit_price: "12.345" },
        { up_to: 50, unit_price: "10" },
        { up_to: 7, unit_price: "abc" },
      ],
    };
    expect(planProblems(bad)).toEqual([
      { tier: 0, problem: "price" },
      { tier: 1, problem: "order" },
      { tier: 2, problem: "price" },
      { tier: 2, problem: "last_bounded" },
    ]);
  });

  it("sends prices with two decimals and an open last tier", () => {
    expect(normalizedPlan({ ...plan, tiers: [{ up_to: 5, unit_price: "1500" }, { up_to: 9, unit_price: "7.5" }] }).tiers).toEqual([
      { up_to: 5, unit_price: "1500.00" },
      { up_to: null, unit_price: "7.50" },
    ]);
  });

  it("formats money in the reader's language with the currency", () => {
    expect(formatMoney("1500.00", "KZT", "en")).toMatch(/1,500\.00/);
    expect(formatMoney("1500.00", "KZT", "ru").replace(/\s/g, " ")).toMatch(/1 500,00 ₸/);
    expect(formatMoney("1500.00", "KZT", "kk").replace(/\s/g, " ")).toMatch(/1 500,00 ₸/);
    expect(formatCount(10001, "kk").replace(/\s/g, " ")).toBe("10 001");
    expect(formatCount(10001, "en")).toBe("10,001");
  });
});

describe("months", () => {
  it("takes the month in Kazakhstan's time", () => {
    expect(monthOf(new Date("2026-11-30T19:30:00Z"))).toBe("2026-12");
    expect(monthOf(new Date("2026-11-30T18:00:00Z"))).toBe("2026-11");
  });

  it("lists recent months across a year boundary", () => {
    expect(recentMonths(new Date("2026-02-10T00:00:00Z"), 4)).toEqual(["2026-02", "2026-01", "2025-12", "2025-11"]);
  });

  it("checks YYYY-MM", () => {
    expect(isMonth("2026-11")).toBe(true);
    expect(isMonth("2026-13")).toBe(false);
    expect(isMonth("26-1")).toBe(false);
  });
});
