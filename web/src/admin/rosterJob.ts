/**
 * The state of one roster upload, kept in sessionStorage so a failure or a reload resumes where it stopped: the
 * batch id, which parts the server confirmed, the running totals, row errors, and the passwords generated so far.
 * Passwords stay only in this tab's session storage, and only until the admin downloads them (then they are gone).
 */
import { fileRow } from "./rosterChunks";

export interface RowError {
  row: number; // row of the file, 1 = first data row
  code: string;
  login?: string;
}

/** Listed among a part's errors but counted in already_admitted: not a problem of the file. */
const NOT_A_PROBLEM = new Set(["roster.already_admitted"]);

export interface Credential {
  login: string;
  password: string;
}

export interface RosterJob {
  exam_id: string;
  batch: string;
  file_name: string;
  fingerprint: string;
  parts: number;
  rows: number;
  done: number[]; // parts the server confirmed
  admitted: number;
  already_admitted: number;
  errors: RowError[];
  passwords: Credential[];
  passwords_downloaded: boolean;
}

export interface PartAnswer {
  admitted: number;
  already_admitted: number;
  errors: { row: number; code: string; login?: string }[];
  passwords: Credential[];
}

export function newJob(exam_id: string, batch: string, file_name: string, fingerprint: string, parts: number, rows: number): RosterJob {
  return {
    exam_id, batch, file_name, fingerprint, parts, rows,
    done: [], admitted: 0, already_admitted: 0, errors: [], passwords: [], passwords_downloaded: false,
  };
}

/** The job after the server confirmed `part`; confirming a part twice (a re-sent part) counts it once. */
export function recordPart(job: RosterJob, part: number, answer: PartAnswer): RosterJob {
  if (job.done.includes(part)) return job;
  const known = new Set(job.passwords.map((p) => p.login));
  return {
    ...job,
    done: [...job.done, part].sort((a, b) => a - b),
    admitted: job.admitted + answer.admitted,
    already_admitted: job.already_admitted + answer.already_admitted,
    errors: [
      ...job.errors,
      ...answer.errors.filter((e) => !NOT_A_PROBLEM.has(e.code)).map((e) => ({ ...e, row: fileRow(part, e.row) })),
    ],
    passwords: [...job.passwords, ...answer.passwords.filter((p) => !known.has(p.login))],
  };
}

/** Parts still to send, in order. */
export function pendingParts(job: RosterJob): number[] {
  return Array.from({ length: job.parts }, (_, n) => n).filter((n) => !job.done.includes(n));
}

export function isFinished(job: RosterJob): boolean {
  return job.done.length === job.parts;
}

/** Percent of the file's parts confirmed, 0–100, whole numbers. */
export function progressPercent(job: RosterJob): number {
  return job.parts ? Math.floor((job.done.length * 100) / job.parts) : 0;
}

/** Rows confirmed so far (every part is full but the last). */
export function rowsDone(job: RosterJob, size: number): number {
  return job.done.reduce((sum, n) => sum + Math.min(size, job.rows - n * size), 0);
}

/** After the download the passwords are dropped: they are never shown again. */
export function passwordsTaken(job: RosterJob): RosterJob {
  return { ...job, passwords: [], passwords_downloaded: true };
}

/** A stored job may resume only with the same file for the same exam. */
export function canResume(job: RosterJob | null, exam_id: string, fingerprint: string): boolean {
  return !!job && job.exam_id === exam_id && job.fingerprint === fingerprint && !isFinished(job);
}

const KEY = (exam_id: string) => `admin.roster-job.${exam_id}`;

export function loadJob(exam_id: string, storage: Storage = sessionStorage): RosterJob | null {
  try {
    const raw = storage.getItem(KEY(exam_id));
    return raw ? (JSON.parse(raw) as RosterJob) : null;
  } catch {
    return null;
  }
}

export function saveJob(job: RosterJob | null, exam_id: string, storage: Storage = sessionStorage): void {
  if (job) storage.setItem(KEY(exam_id), JSON.stringify(job));
  else storage.removeItem(KEY(exam_id));
}
