import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";
import { AUDIT_ACTIONS } from "../AuditScreen";
import { POLICY_FIELDS } from "../policy";

const dictionaries: Record<string, Record<string, string>> = { kk, ru, en };
const CONSOLE = join(__dirname, "..");
// read from disk: importing the console's modules merges its strings into the imported shared dictionary
const shared = JSON.parse(readFileSync(join(__dirname, "../../shared/i18n/en.json"), "utf8")) as Record<string, string>;
const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const CYRILLIC = /[\u0400-\u04FF]/;
const KAZAKH_LETTERS = /[әғқңөұүһі]/i;

describe("the admin console's locale files", () => {
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
    expect(kazakh / Object.keys(en).length).toBeGreaterThan(0.5);
  });

  it("every key is the console's own (no clash with the shared strings)", () => {
    for (const key of Object.keys(en)) {
      expect(key.startsWith("admin."), key).toBe(true);
      expect(key in shared, key).toBe(false);
    }
  });

  it("every key the console names exists (in its files or the shared ones)", () => {
    const used = new Set<string>();
    for (const name of readdirSync(CONSOLE)) {
      if (!/\.tsx?$/.test(name) || name.endsWith(".test.ts")) continue;
      const text = readFileSync(join(CONSOLE, name), "utf8");
      for (const m of text.matchAll(/\btr\(\s*"([a-z0-9_.]+)"/g)) used.add(m[1]);
      for (const m of text.matchAll(/"((?:admin|roles|header)\.[a-z0-9_.]+)"/g)) used.add(m[1]);
    }
    const built = [
      ...["exams", "bank", "roster", "slots", "results", "staff", "audit", "usage"].map((t) => `admin.tab.${t}`),
      ...["scheduled", "open", "closed"].map((s) => `admin.exams.state.${s}`),
      ...["high", "medium", "low"].map((s) => `admin.results.col.violations_${s}`),
      ...["admitted", "disabled", "revoked"].map((s) => `admin.roster.admission.${s}`),
      ...["empty", "no_rows", "no_login_column", "no_name_column", "no_language_column"].map((p) => `admin.roster.file.${p}`),
      ...["in_progress", "submitted", "awaiting_review", "accepted", "annulled", "expired", "terminated", "not_started"].map((s) => `admin.session.${s}`),
      ...AUDIT_ACTIONS.map((a) => `admin.audit.action.${a.replace(".", "_")}`),
      ...POLICY_FIELDS.flatMap((f) => [`admin.policy.${f}.name`, `admin.policy.${f}.help`]),
    ];
    for (const key of built) used.add(key);
    const missing = [...used].filter((key) => !(key in en) && !(key in shared));
    expect(missing).toEqual([]);
  });
});
