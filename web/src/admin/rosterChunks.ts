/**
 * A roster file split for upload: the API takes at most 1,000 rows per request, so a 10,000-row file goes as ten
 * parts of one batch (`?batch=<uuid>&part=<n>`). Re-sending a part is idempotent on the server, which is what makes
 * an interrupted upload resumable: the state below remembers which parts are done.
 */
import { parseCsv, toCsv } from "./csv";

export const ROWS_PER_PART = 1000;

export interface RosterFile {
  header: string[];
  rows: string[][];
  /** Same file, same fingerprint: a resumed upload must be the file the batch started with. */
  fingerprint: string;
}

/** A short, stable digest of the file's text (FNV-1a, 32 bits) plus its length. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${text.length}-${hash.toString(16)}`;
}

export type RosterProblem = "empty" | "no_rows" | "no_login_column" | "no_name_column" | "no_language_column";

/** The file's header and data rows, or what is wrong with it before anything is sent. */
export function readRoster(text: string): RosterFile | { problem: RosterProblem } {
  const records = parseCsv(text);
  if (!records.length) return { problem: "empty" };
  const header = records[0].map((h) => h.trim().toLowerCase());
  if (!header.includes("login") && !header.includes("national_id")) return { problem: "no_login_column" };
  if (!header.includes("full_name")) return { problem: "no_name_column" };
  if (!header.includes("language")) return { problem: "no_language_column" };
  const rows = records.slice(1);
  if (!rows.length) return { problem: "no_rows" };
  return { header, rows, fingerprint: fingerprint(text) };
}

export function partCount(rows: number, size = ROWS_PER_PART): number {
  return Math.ceil(rows / size);
}

/** Part `n` (0-based) as its own CSV file, the header repeated. */
export function partCsv(file: RosterFile, n: number, size = ROWS_PER_PART): string {
  return toCsv([file.header, ...file.rows.slice(n * size, (n + 1) * size)]);
}

/** The file row (1 = the first data row) of a part's row as the server numbers it (1-based within the part). */
export function fileRow(part: number, rowInPart: number, size = ROWS_PER_PART): number {
  return part * size + rowInPart;
}
