/**
 * Strings, dates and numbers in the candidate's language. Keys are flat and dotted ("login.title"); the three
 * dictionaries have the same keys (a unit test checks). A missing key shows a generic localized text, never the key.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import type { Lang, Localized } from "../api/types";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";

export const LANGS: Lang[] = ["kk", "ru", "en"];
export const DICTIONARIES: Record<Lang, Record<string, string>> = { kk, ru, en };
/** Another app's own strings (the proctor console's), merged into the three dictionaries at load. */
export function addStrings(extra: Record<Lang, Record<string, string>>): void {
  for (const code of LANGS) Object.assign(DICTIONARIES[code], extra[code]);
}
const LOCALES: Record<Lang, string> = { kk: "kk-KZ", ru: "ru-RU", en: "en-GB" };
const STORAGE_KEY = "proctor.lang";

function initial(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY) as Lang | null;
    if (saved && LANGS.includes(saved)) return saved;
  } catch {
    // storage unavailable: fall through
  }
  const browser = (navigator.language || "").slice(0, 2) as Lang;
  return LANGS.includes(browser) ? browser : "kk";
}

let current: Lang = typeof window === "undefined" ? "kk" : initial();
const listeners = new Set<(lang: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // the choice lasts for this page only
  }
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener(next));
}

/** Re-render the calling component when the language changes. */
export function useLang(): Lang {
  const [value, setValue] = useState(current);
  useEffect(() => {
    listeners.add(setValue);
    setValue(current);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}

export function t(key: string, vars: Record<string, string | number> = {}): string {
  const template = DICTIONARIES[current][key] ?? DICTIONARIES[current]["common.missing_text"];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) return "";
    return typeof value === "number" ? formatNumber(value) : value;
  });
}

export function has(key: string): boolean {
  return key in DICTIONARIES[current];
}

/** Exam content in the candidate's language, falling back to any language the author provided. */
export function pick(text: Partial<Localized> | undefined | null): string {
  if (!text) return "";
  return text[current] || text.ru || text.kk || text.en || "";
}

export function formatNumber(value: number, digits = 0): string {
  return new Intl.NumberFormat(LOCALES[current], { maximumFractionDigits: digits }).format(value);
}

const TIME_ZONE = "Asia/Almaty"; // Kazakhstan's single time zone
const KK_MONTHS = [
  "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
  "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан",
];

/** "29 November 2026, 17:24" in Kazakhstan's time. Browsers' ICU data often lacks Kazakh month names, so kk is ours. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (current === "kk") {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-GB", {
        year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23", timeZone: TIME_ZONE,
      })
        .formatToParts(date)
        .map((p) => [p.type, p.value]),
    );
    return `${parts.year} ж. ${Number(parts.day)} ${KK_MONTHS[Number(parts.month) - 1]}, ${parts.hour}:${parts.minute}`;
  }
  return new Intl.DateTimeFormat(LOCALES[current], { dateStyle: "long", timeStyle: "short", timeZone: TIME_ZONE }).format(
    date,
  );
}

export function formatMinutes(seconds: number): string {
  return t("common.minutes", { n: Math.round(seconds / 60) });
}

/** The localized text for any failure: the API's code is the key; unknown codes get a generic message. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `errors.${error.code}`;
    if (has(key)) return t(key);
    return t(error.offline ? "errors.network.offline" : "errors.generic");
  }
  return t("errors.generic");
}
