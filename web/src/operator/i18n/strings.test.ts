import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";
import admin from "../../admin/i18n/en.json";

const dictionaries: Record<string, Record<string, string>> = { kk, ru, en };
const CONSOLE = join(__dirname, "..");
// read from disk: importing the console's modules merges its strings into the imported shared dictionary
const shared = JSON.parse(readFileSync(join(__dirname, "../../shared/i18n/en.json"), "utf8")) as Record<string, string>;
const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const CYRILLIC = /[\u0400-\u04FF]/;
const KAZAKH_LETTERS = /[әғқңөұүһі]/i;

describe("the operator console's locale files", () => {
  it("kk, ru and en have identical keys", () => {
    const keys = Object.keys(en).sort();
    expect(Object.keys(kk).sort()).toEqual(keys);
    expect(Object.keys(ru).sort()).toEqual(keys);
  });

  it("no value is empty, placeholders match, nothing looks like a key", () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, value] of Object.entries(dict)) {
        expect(value.trim(), `${lang}:${key}`).not.toBe("");
        expect(names(value), `${lang}:${key}`).toEqual(names((en as Record<string, string>)[key]));
        expect(value, `${lang}:${key}`).not.toMatch(/\b[a-z]+(\.[a-z_]+)+\b/);
      }
    }
  });

  it("Russian and Kazakh are written in their own words, not left in English", () => {
    const words = (v: string) => v.replace(/\{\w+\}/g, "").replace(/\b[a-z_]+\b/gi, "");
    let kazakh = 0;
    for (const key of Object.keys(en)) {
      const r = (ru as Record<string, string>)[key];
      const k = (kk as Record<string, string>)[key];
      if (/[A-Za-z]{3,}/.test(words((en as Record<string, string>)[key])) && !/^[\d{}\s/–:.()+-]*$/.test(r)) {
        expect(CYRILLIC.test(r), `ru:${key}`).toBe(true);
        expect(CYRILLIC.test(k), `kk:${key}`).toBe(true);
      }
      if (KAZAKH_LETTERS.test(k)) kazakh++;
    }
    expect(kazakh / Object.keys(en).length).toBeGreaterThan(0.4);
  });

  it("every key is the console's own (no clash with the shared strings)", () => {
    for (const key of Object.keys(en)) {
      expect(key.startsWith("operator."), key).toBe(true);
      expect(key in shared, key).toBe(false);
    }
  });

  it("every key the console names exists (in its files or the shared ones)", () => {
    const used = new Set<string>();
    for (const name of readdirSync(CONSOLE)) {
      if (!/\.tsx?$/.test(name) || name.endsWith(".test.ts")) continue;
      const text = readFileSync(join(CONSOLE, name), "utf8");
      for (const m of text.matchAll(/\btr\(\s*"([a-z0-9_.]+)"/g)) used.add(m[1]);
      for (const m of text.matchAll(/"((?:operator|admin|roles|header)\.[a-z0-9_.]+)"/g)) used.add(m[1]);
    }
    const built = [
      ...["agencies", "statements"].map((t) => `operator.tab.${t}`),
      ...["no_tiers", "price", "bound", "order", "last_bounded"].map((p) => `operator.plan.problem.${p}`),
    ];
    for (const key of built) used.add(key);
    const missing = [...used].filter((key) => !(key in en) && !(key in shared) && !(key in admin));
    expect(missing).toEqual([]);
  });
});
