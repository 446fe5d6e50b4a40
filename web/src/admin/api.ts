/** Typed agency-admin routes (docs/AGENCY-CONTRACT: exams, banks, rosters, slots, results, staff, audit, billing). */
import { request } from "../shared/api/client";
import type { Block, Lang, Localized } from "../shared/api/types";
import type { PricePlan } from "../shared/ui/billing";
import { fetchFile, sendText } from "./http";
import type { Credential, PartAnswer } from "./rosterJob";

export interface Exam {
  exam_id: string;
  title: Localized;
  languages: Lang[];
  duration_s: number;
  blocks: Block[];
  opens_at: string;
  closes_at: string;
  bank_size: number;
  require_identity: boolean;
  analysis: Record<string, unknown>;
  status?: string; // open | closed | scheduled, when the API states it
  started_sessions?: number;
}

export interface ExamDraft {
  title: Localized;
  languages: Lang[];
  duration_s: number;
  blocks: Block[];
  opens_at: string;
  closes_at: string;
  require_identity: boolean;
  analysis: Record<string, unknown>;
}

export interface PolicyDefault {
  name: string;
  value: unknown;
  explanation_key?: string; // a shared string key with the plain-words explanation (`policy.<name>`)
  kind?: string; // integer | number | map
  min?: number;
  max?: number;
}

export interface BankProblem {
  code: string; // a shared error key: errors.<code>
  field?: string;
  problem?: string;
}

export interface BankRowReport {
  row: number;
  item_id: string | null;
  errors: (BankProblem | string)[];
}

export interface BlockCount {
  items: number;
  valid_items?: number;
  draws: number;
  enough?: boolean;
  title?: Localized;
}

export interface BankReport {
  ok: boolean;
  total_rows?: number;
  rows: BankRowReport[];
  file_errors?: (BankProblem & { row: number })[];
  per_block: Record<string, BlockCount>;
}

export interface BankItem {
  item_id: string;
  block_id: string;
  text: Partial<Localized>;
  options: { option_id: string; text: Partial<Localized> }[];
  correct_option?: string;
}

export interface BankPreview {
  bank_size: number;
  languages: Lang[];
  per_block: Record<string, BlockCount>;
  items: BankItem[];
  next_cursor: string | null;
}

export interface RosterEntry {
  login?: string;
  user_id?: string;
  full_name?: string | null;
  language?: string | null;
  slot_id?: string | null;
  admission?: string; // admitted | disabled
  admitted_at?: string | null;
  consent_at?: string | null;
  session_status?: string | null;
}

export interface Slot {
  slot_id: string;
  starts_at: string;
  capacity: number;
  booked: number;
}

export interface ResultRow {
  login: string;
  full_name: string | null;
  status: string; // a session status, or not_started
  score: number | null;
  max_score: number | null;
  percent: number | null;
  verdict: string | null;
  violations: Record<string, number>; // by severity: low, medium, high
  credibility: number | null;
  review_status: string | null; // not_applicable | pending | reviewed | auto_accepted
  terminated?: boolean;
}

export interface StaffMember {
  login: string;
  role: "proctor" | "admin";
  full_name: string;
  exam_ids: string[];
  disabled: boolean;
  created_at: string;
}

export interface AuditEntry {
  entry_id: string;
  at: string;
  actor: { login: string; role: string; agency_id?: string };
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

export interface Agency {
  agency_id: string;
  name: Localized;
  contact: { name: string; email: string; phone?: string };
  retention_days: number;
  status: "active" | "suspended";
  created_at: string;
}

export interface UsageLine {
  exam_id: string;
  exam_title: string;
  sittings: number;
  proctored_minutes: string;
  media_objects: number;
  media_bytes: number;
  analyzer_ms: number;
  identity_checks: number;
}

export interface StatementLine {
  exam_id: string;
  exam_title: string;
  sittings: number;
  proctored_hours: string;
  units: string;
  unit_price: string;
  amount: string;
}

export interface Statement {
  agency_id: string;
  month: string;
  plan: PricePlan;
  currency: string;
  unit: string;
  unit_price: string;
  total_units: string;
  total: string;
  lines: StatementLine[];
  usage: Record<string, number>;
}

const enc = encodeURIComponent;
const exam = (id: string) => `/admin/exams/${enc(id)}`;
const query = (params: Record<string, string | number | undefined | null>) => {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? `?${pairs.map(([k, v]) => `${k}=${enc(String(v))}`).join("&")}` : "";
};
/** A bank file goes as it is: CSV as text/csv, anything else as JSON (the two formats the API takes). */
const bankType = (name: string) => (name.toLowerCase().endsWith(".csv") ? "text/csv" : "application/json");

export const adminApi = {
  exams: () => request<{ exams: Exam[] }>("GET", "/admin/exams"),
  exam: (id: string) => request<Exam>("GET", exam(id)),
  createExam: (draft: ExamDraft) => request<Exam>("POST", "/admin/exams", draft),
  updateExam: (id: string, changes: Partial<ExamDraft>) => request<Exam>("PATCH", exam(id), changes),
  /** Open now; an exam whose window has ended needs a new closing time. */
  openExam: (id: string, closes_at?: string) => request<Exam>("POST", `${exam(id)}/open`, closes_at ? { closes_at } : {}),
  closeExam: (id: string) => request<Exam>("POST", `${exam(id)}/close`, {}),
  duplicateExam: (id: string, body: { title?: Localized; opens_at: string; closes_at: string }) =>
    request<Exam>("POST", `${exam(id)}/duplicate`, body),
  policyDefaults: () => request<unknown>("GET", "/admin/policy-defaults"),

  checkBank: (id: string, fileName: string, text: string) =>
    sendText<BankReport>("POST", `${exam(id)}/questions?dry_run=true`, text, bankType(fileName)),
  importBank: (id: string, fileName: string, text: string) =>
    sendText<{ imported: number; bank_size: number }>("POST", `${exam(id)}/questions`, text, bankType(fileName)),
  bank: (id: string, cursor?: string | null) => request<BankPreview>("GET", `${exam(id)}/questions${query({ cursor, limit: 500 })}`),

  /** Part `part` (0-based here; the API numbers parts from 1) of a roster batch. */
  rosterPart: (id: string, batch: string, part: number, csv: string) =>
    sendText<PartAnswer & { passwords: Credential[] }>(
      "POST",
      `${exam(id)}/roster${query({ batch, part: part + 1 })}`,
      csv,
      "text/csv",
    ),
  /** The whole roster, page by page (1,000 a page; 20 pages at most here). */
  roster: async (id: string) => {
    const candidates: RosterEntry[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const answer: { candidates: RosterEntry[]; next_cursor?: string | null } = await request(
        "GET",
        `${exam(id)}/roster${query({ cursor, limit: 1000, include: "sessions" })}`,
      );
      candidates.push(...answer.candidates);
      cursor = answer.next_cursor ?? null;
      if (!cursor) break;
    }
    return { candidates };
  },

  slots: (id: string) => request<{ slots: Slot[] }>("GET", `${exam(id)}/slots`),
  createSlot: (id: string, starts_at: string, capacity: number) =>
    request<Slot>("POST", `${exam(id)}/slots`, { starts_at, capacity }),
  deleteSlot: (id: string, slotId: string) => request<unknown>("DELETE", `${exam(id)}/slots/${enc(slotId)}`),

  results: (id: string, cursor?: string | null) =>
    request<{ results: ResultRow[]; next_cursor: string | null }>("GET", `${exam(id)}/results${query({ cursor, limit: 200 })}`),
  resultsFile: (id: string, format: "csv" | "xlsx", lang: Lang) => fetchFile(`${exam(id)}/results${query({ format, lang })}`),

  staff: () => request<{ staff: StaffMember[] }>("GET", "/admin/staff"),
  createStaff: (body: { login: string; full_name: string; role: "proctor" | "admin"; exam_ids?: string[] }) =>
    request<StaffMember & { password: string }>("POST", "/admin/staff", body),
  updateStaff: (login: string, body: { full_name?: string; exam_ids?: string[]; disabled?: boolean }) =>
    request<StaffMember>("PATCH", `/admin/staff/${enc(login)}`, body),
  resetPassword: (login: string) => request<{ password: string }>("POST", `/admin/staff/${enc(login)}/password`, {}),

  audit: (cursor?: string | null, action?: string) =>
    request<{ entries: AuditEntry[]; next_cursor: string | null }>("GET", `/admin/audit${query({ cursor, limit: 50, action })}`),
  agency: () => request<Agency>("GET", "/admin/agency"),
  setRetention: (retention_days: number) => request<Agency>("PATCH", "/admin/agency", { retention_days }),

  usage: (month: string, language: Lang) =>
    request<{ month: string; exams: UsageLine[] }>("GET", `/admin/usage${query({ month, language })}`),
  statement: (month: string, language: Lang) =>
    request<Statement>("GET", `/admin/statements/${enc(month)}${query({ format: "json", language })}`),
  statementFile: (month: string, format: "csv" | "pdf", language: Lang) =>
    fetchFile(`/admin/statements/${enc(month)}${query({ format, language })}`),
};
