import { describe, expect, it } from "vitest";
import { fingerprint, fileRow, partCount, partCsv, readRoster, ROWS_PER_PART } from "./rosterChunks";
import { parseCsv } from "./csv";
import {
  canResume, isFinished, loadJob, newJob, passwordsTaken, pendingParts, progressPercent, recordPart, rowsDone, saveJob,
} from "./rosterJob";

function rosterText(rows: number): string {
  const lines = ["login,full_name,language"];
  for (let i = 1; i <= rows; i++) lines.push(`cand-${i},"Кандидат ${i}",kk`);
  return lines.join("\n");
}

class MemoryStorage implements Storage {
  private data = new Map<string, string>();
  get length() { return this.data.size; }
  clear() { this.data.clear(); }
  getItem(k: string) { return this.data.get(k) ?? null; }
  key(i: number) { return [...this.data.keys()][i] ?? null; }
  removeItem(k: string) { this.data.delete(k); }
  setItem(k: string, v: string) { this.data.set(k, v); }
}

describe("splitting a roster file", () => {
  it("splits 2,500 rows into parts of at most 1,000, each with the header", () => {
    const file = readRoster(rosterText(2500));
    if ("problem" in file) throw new Error(file.problem);
    expect(partCount(file.rows.length)).toBe(3);
    const parts = [0, 1, 2].map((n) => parseCsv(partCsv(file, n)));
    expect(parts.map((p) => p.length - 1)).toEqual([1000, 1000, 500]);
    for (const p of parts) expect(p[0]).toEqual(["login", "full_name", "language"]);
    expect(parts[1][1][0]).toBe("cand-1001");
    expect(parts[2][500][0]).toBe("cand-2500");
    expect(ROWS_PER_PART).toBe(1000);
  });

  it("reads a semicolon file (Excel in kk/ru locales) and sends it with commas", () => {
    const file = readRoster("login;full_name;language\r\na1;Серік, Айгүл;kk\r\n");
    if ("problem" in file) throw new Error(file.problem);
    expect(file.rows).toEqual([["a1", "Серік, Айгүл", "kk"]]);
    expect(partCsv(file, 0)).toBe('login,full_name,language\r\na1,"Серік, Айгүл",kk\r\n');
  });

  it("exactly 1,000 rows is one part", () => {
    expect(partCount(1000)).toBe(1);
    expect(partCount(1001)).toBe(2);
  });

  it("refuses files without a login or name column, or without rows", () => {
    expect(readRoster("")).toEqual({ problem: "empty" });
    expect(readRoster("full_name\nX")).toEqual({ problem: "no_login_column" });
    expect(readRoster("national_id,language\n1,kk")).toEqual({ problem: "no_name_column" });
    expect(readRoster("login,full_name\nx,Y")).toEqual({ problem: "no_language_column" });
    expect(readRoster("login,full_name,language\n")).toEqual({ problem: "no_rows" });
  });

  it("fingerprints the same text the same, a changed text differently", () => {
    expect(fingerprint(rosterText(10))).toBe(fingerprint(rosterText(10)));
    expect(fingerprint(rosterText(10))).not.toBe(fingerprint(rosterText(11)));
  });

  it("numbers a part's rows as rows of the file", () => {
    expect(fileRow(0, 1)).toBe(1);
    expect(fileRow(2, 7)).toBe(2007);
  });
});

describe("the upload's progress and resumption", () => {
  const answer = (n: number, logins: string[] = []) => ({
    admitted: n, already_admitted: 0, errors: [], passwords: logins.map((login) => ({ login, password: `pw-${login}` })),
  });

  it("advances part by part to 100 %", () => {
    let job = newJob("exam-1", "batch-1", "roster.csv", "fp", 3, 2500);
    expect(progressPercent(job)).toBe(0);
    job = recordPart(job, 0, answer(1000, ["a"]));
    expect(progressPercent(job)).toBe(33);
    expect(rowsDone(job, 1000)).toBe(1000);
    job = recordPart(job, 2, answer(500, ["c"]));
    expect(pendingParts(job)).toEqual([1]);
    expect(rowsDone(job, 1000)).toBe(1500);
    job = recordPart(job, 1, answer(1000, ["b"]));
    expect(isFinished(job)).toBe(true);
    expect(progressPercent(job)).toBe(100);
    expect(job.admitted).toBe(2500);
    expect(job.passwords.map((p) => p.login)).toEqual(["a", "c", "b"]);
  });

  it("counts a re-sent part once", () => {
    let job = newJob("exam-1", "batch-1", "roster.csv", "fp", 2, 1500);
    job = recordPart(job, 0, answer(1000, ["a"]));
    job = recordPart(job, 0, answer(0, ["a"]));
    expect(job.admitted).toBe(1000);
    expect(job.passwords).toHaveLength(1);
  });

  it("maps a part's row errors to rows of the file", () => {
    const job = recordPart(newJob("e", "b", "f", "fp", 2, 1500), 1, {
      admitted: 498, already_admitted: 1, passwords: [],
      errors: [{ row: 3, code: "roster.duplicate_login", login: "a" }, { row: 4, code: "roster.already_admitted", login: "b" }],
    });
    expect(job.errors).toEqual([{ row: 1003, code: "roster.duplicate_login", login: "a" }]);
  });

  it("resumes after a reload only with the same file for the same exam", () => {
    const storage = new MemoryStorage();
    const job = recordPart(newJob("exam-1", "batch-1", "roster.csv", "fp-1", 3, 2500), 0, answer(1000));
    saveJob(job, "exam-1", storage);
    const back = loadJob("exam-1", storage);
    expect(back).toEqual(job);
    expect(canResume(back, "exam-1", "fp-1")).toBe(true);
    expect(canResume(back, "exam-1", "fp-2")).toBe(false);
    expect(canResume(back, "exam-2", "fp-1")).toBe(false);
    expect(loadJob("exam-2", storage)).toBeNull();
  });

  it("drops the passwords once downloaded", () => {
    const job = passwordsTaken(recordPart(newJob("e", "b", "f", "fp", 1, 1), 0, answer(1, ["a"])));
    expect(job.passwords).toEqual([]);
    expect(job.passwords_downloaded).toBe(true);
  });
});
