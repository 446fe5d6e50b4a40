/**
 * The console's own strings (proctor/i18n/{kk,ru,en}.json, same keys: unit-tested), merged into the shared
 * dictionaries so the shared t(), language switch and formats serve both apps. The console calls them through
 * tr() so the candidate app's key checks stay about the candidate app's files.
 */
import { ApiError } from "../../shared/api/client";
import { addStrings, errorText, has, lang, t } from "../../shared/i18n/i18n";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";

export const CONSOLE_STRINGS = { kk, ru, en };
addStrings(CONSOLE_STRINGS);

export function tr(key: string, vars: Record<string, string | number> = {}): string {
  return t(key, vars);
}

/** A violation type's name ("multiple_faces" → "Several people in frame"); unknown types read as the raw code. */
export function violationName(type: string): string {
  const key = `proctor.violation.${type}`;
  return has(key) ? t(key) : type.replace(/_/g, " ");
}

/** An API failure in the console's words first (the proctor's view of a 409), then the shared messages. */
export function consoleError(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `proctor.errors.${error.code}`;
    if (has(key)) return t(key);
  }
  return errorText(error);
}

const LOCALES = { kk: "kk-KZ", ru: "ru-RU", en: "en-GB" } as const;

/** "14:05:09" in Kazakhstan's time: channel lines and violations within one sitting. */
export function formatClockTime(iso: string): string {
  return new Intl.DateTimeFormat(LOCALES[lang()], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZone: "Asia/Almaty",
  }).format(new Date(iso));
}
