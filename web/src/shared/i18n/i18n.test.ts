import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";

const dictionaries: Record<string, Record<string, string>> = { kk, ru, en };
const SRC = join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("locale files", () => {
  it("kk, ru and en have the same keys", () => {
    const keys = Object.keys(en).sort();
    expect(Object.keys(kk).sort()).toEqual(keys);
    expect(Object.keys(ru).sort()).toEqual(keys);
  });

  it("no value is empty and every placeholder is in all three", () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, value] of Object.entries(dict)) {
        expect(value.trim(), `${lang}:${key}`).not.toBe("");
        const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(names(value), `${lang}:${key}`).toEqual(names((en as Record<string, string>)[key]));
      }
    }
  });

  it("no visible text looks like a translation key", () => {
    for (const dict of Object.values(dictionaries)) {
      for (const value of Object.values(dict)) expect(value).not.toMatch(/\b[a-z]+(\.[a-z_]+)+\b/);
    }
  });

  it("every key the code names exists", () => {
    const used = new Set<string>();
    for (const file of sources(SRC)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\("([a-z0-9_.]+)"/g)) used.add(m[1]);
      for (const m of text.matchAll(/"((?:fix|check|rules|identity|cabinet)\.[a-z0-9_.]+)"/g)) used.add(m[1]);
    }
    for (const task of ["browser", "camera", "microphone", "upload", "private", "screen"]) used.add(`check.task.${task}`);
    const missing = [...used].filter((key) => !(key in en) && !key.endsWith("."));
    expect(missing).toEqual([]);
  });

  it("every error code in docs/API.md has a message", () => {
    const doc = readFileSync(join(SRC, "..", "..", "docs", "API.md"), "utf8");
    const codes = new Set([...doc.matchAll(/`((?:request|auth|consent|exam|session|item|identity|enrollment|bank|answer|lifecycle)\.[a-z_]+)`/g)].map((m) => m[1]));
    expect(codes.size).toBeGreaterThan(30);
    const missing = [...codes].filter((code) => !(`errors.${code}` in en));
    expect(missing).toEqual([]);
  });
});
