/**
 * The operator console's strings (operator/i18n/{kk,ru,en}.json, same keys `operator.*`: unit-tested), merged into the
 * shared dictionaries like the proctor console's; tr() is the shared t() under the console's own name.
 */
import { ApiError } from "../../shared/api/client";
import { addStrings, errorText, has, t } from "../../shared/i18n/i18n";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";

export const OPERATOR_STRINGS = { kk, ru, en };
addStrings(OPERATOR_STRINGS);

export function tr(key: string, vars: Record<string, string | number> = {}): string {
  return t(key, vars);
}

/** A key's text if the console has it, else the fallback (an API code we have no words for yet). */
export function trOr(key: string, fallback: string, vars: Record<string, string | number> = {}): string {
  return has(key) ? t(key, vars) : fallback;
}

/** An API failure in the operator's words first, then the shared error messages. */
export function operatorError(error: unknown): string {
  if (error instanceof ApiError) {
    const key = `operator.errors.${error.code}`;
    if (has(key)) return t(key);
  }
  return errorText(error);
}
