/**
 * The admin console's strings (admin/i18n/{kk,ru,en}.json, same keys `admin.*`: unit-tested), merged into the
 * shared dictionaries like the proctor console's; tr() is the shared t() under the console's own name.
 */
import { ApiError } from "../../shared/api/client";
import { addStrings, errorText, has, t } from "../../shared/i18n/i18n";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";

export const ADMIN_STRINGS = { kk, ru, en };
addStrings(ADMIN_STRINGS);

export function tr(key: string, vars: Record<string, string | number> = {}): string {
  return t(key, vars);
}

/** A key's text if the console has it, else the fallback (an API code we have no words for yet). */
export function trOr(key: string, fallback: string, vars: Record<string, string | number> = {}): string {
  return has(key) ? t(key, vars) : fallback;
}

/** An API failure in the admin's words first, then the shared error messages. */
export function adminError(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `admin.errors.${error.code}`;
    if (has(key)) return t(key);
  }
  return errorText(error);
}

/** A bank/roster row problem code ("bank.option_missing") in words; an unknown code reads as itself, spaced. */
export function problemText(code: string): string {
  for (const key of [`admin.problem.${code}`, `errors.${code}`]) if (has(key)) return t(key);
  return code.replace(/[._]/g, " ");
}
