/**
 * Roster: a CSV of thousands of candidates sent in parts of at most 1,000 rows (one batch, numbered parts), with a
 * progress bar; a failure or a reload resumes with the parts not yet confirmed. Generated passwords are offered once
 * as a CSV file and dropped after the download. Below: who is admitted, with consent and booked slot.
 */
import { useEffect, useState } from "preact/hooks";
import { formatNumber } from "../shared/i18n/i18n";
import { Tag } from "../shared/ui/components";
import { adminApi, type RosterEntry } from "./api";
import { toCsv } from "./csv";
import { saveFile } from "./http";
import { adminError, problemText, tr } from "./i18n";
import { partCount, partCsv, readRoster, type RosterFile, ROWS_PER_PART } from "./rosterChunks";
import {
  canResume, isFinished, loadJob, newJob, passwordsTaken, pendingParts, progressPercent, recordPart, type RosterJob, rowsDone, saveJob,
} from "./rosterJob";
import { LoadState, useLoad, when } from "./ui";

type Run = { state: "idle" } | { state: "sending"; part: number } | { state: "failed"; error: unknown; part: number } | { state: "done" };

function uuid(): string {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
}

export function RosterScreen({ examId }: { examId: string }) {
  const [file, setFile] = useState<(RosterFile & { name: string }) | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [job, setJobState] = useState<RosterJob | null>(() => loadJob(examId));
  const [run, setRun] = useState<Run>({ state: "idle" });
  const [roster, reloadRoster] = useLoad(() => adminApi.roster(examId), [examId]);
  const setJob = (next: RosterJob | null) => {
    saveJob(next, examId);
    setJobState(next);
  };

  const choose = async (input: HTMLInputElement) => {
    const chosen = input.files?.[0];
    setFileProblem(null);
    setRun({ state: "idle" });
    if (!chosen) return setFile(null);
    const read = readRoster(await chosen.text());
    if ("problem" in read) {
      setFile(null);
      setFileProblem(`admin.roster.file.${read.problem}`); // a key: shown in the current language
      return;
    }
    setFile({ ...read, name: chosen.name });
  };

  const send = async (rosterFile: RosterFile, start: RosterJob) => {
    let current = start;
    for (const part of pendingParts(current)) {
      setRun({ state: "sending", part });
      try {
        const answer = await adminApi.rosterPart(examId, current.batch, part, partCsv(rosterFile, part));
        // a part another admin of the agency already sent answers counts only (passwords_withheld)
        current = recordPart(current, part, {
          admitted: answer.admitted ?? 0,
          already_admitted: answer.already_admitted ?? 0,
          errors: answer.errors ?? [],
          passwords: answer.passwords ?? [],
        });
        setJob(current);
      } catch (error) {
        setRun({ state: "failed", error, part });
        return;
      }
    }
    setRun({ state: "done" });
    reloadRoster();
  };

  const start = () => {
    if (!file) return;
    const resumable = canResume(job, examId, file.fingerprint) ? job : null;
    const next = resumable ?? newJob(examId, uuid(), file.name, file.fingerprint, partCount(file.rows.length), file.rows.length);
    // a finished job's passwords not yet downloaded stay offered until a new upload starts
    setJob(next);
    void send(file, next);
  };

  const download = () => {
    if (!job) return;
    saveFile(new Blob([toCsv([["login", "password"], ...job.passwords.map((p) => [p.login, p.password])])], { type: "text/csv" }), `passwords-${examId}.csv`);
    setJob(passwordsTaken(job));
  };

  const resumable = !!job && !isFinished(job);
  const sameFile = !!file && !!job && canResume(job, examId, file.fingerprint);
  const busy = run.state === "sending";
  const percent = job ? progressPercent(job) : 0;
  return (
    <section aria-labelledby="roster-title">
      <h1 class="heading-l" id="roster-title" tabIndex={-1}>
        {tr("admin.roster.title")}
      </h1>
      <div class="pc-panel ac-panel">
        <h2 class="pc-h2">{tr("admin.roster.upload")}</h2>
        <p class="hint ac-hint">{tr("admin.roster.upload_hint", { n: ROWS_PER_PART })}</p>
        <pre class="ac-sample">login,full_name,language,slot_id{"\n"}ivanova_a,Иванова Анна,ru,{"\n"}840101300123,Сейітов Арман,kk,slot-1</pre>
        {resumable && job && !sameFile && (
          <p class="notice notice--warning" id="roster-resume-hint" role="status">
            {tr("admin.roster.resume_hint", { file: job.file_name, done: job.done.length, parts: job.parts })}
          </p>
        )}
        <label for="roster-file" class="label">{tr("admin.roster.file_label")}</label>
        <input id="roster-file" type="file" accept=".csv,text/csv" disabled={busy} onChange={(e) => void choose(e.target as HTMLInputElement)} />
        {fileProblem && <p class="error-message" role="alert">{tr(fileProblem)}</p>}
        {file && (
          <p id="roster-file-summary">
            {tr("admin.roster.file_summary", { rows: file.rows.length, parts: partCount(file.rows.length) })}
          </p>
        )}
        <div class="pc-action__row">
          <button type="button" class="button button--primary" id="roster-start" disabled={!file || busy} onClick={start}>
            {sameFile ? tr("admin.roster.resume") : tr("admin.roster.start")}
          </button>
        </div>
        {job && (
          <div id="roster-progress-block">
            <label for="roster-progress" class="label">
              {tr("admin.roster.progress", { done: rowsDone(job, ROWS_PER_PART), rows: job.rows })}
            </label>
            <progress id="roster-progress" class="ac-progress" max={100} value={percent} data-percent={percent} aria-valuetext={`${percent} %`}>
              {percent} %
            </progress>
            <p class="pc-small" role="status" aria-live="polite" id="roster-run" data-state={run.state === "idle" && isFinished(job) ? "done" : run.state}>
              {run.state === "sending" && tr("admin.roster.sending", { part: run.part + 1, parts: job.parts })}
              {run.state === "failed" && (
                <span class="error-message">
                  {tr("admin.roster.failed", { part: run.part + 1 })} {adminError(run.error)}
                </span>
              )}
              {(run.state === "done" || (run.state === "idle" && isFinished(job))) && (
                <Tag kind="green">{tr("admin.roster.finished")}</Tag>
              )}
              {run.state === "idle" && !isFinished(job) && tr("admin.roster.paused", { done: job.done.length, parts: job.parts })}
            </p>
            {run.state === "failed" && file && sameFile && (
              <button type="button" class="button button--secondary pc-small-button" id="roster-retry" onClick={() => void send(file, job)}>
                {tr("admin.roster.retry")}
              </button>
            )}
            <dl class="ac-totals">
              <div><dt>{tr("admin.roster.admitted")}</dt><dd id="roster-admitted" data-count={job.admitted}>{formatNumber(job.admitted)}</dd></div>
              <div><dt>{tr("admin.roster.already")}</dt><dd>{formatNumber(job.already_admitted)}</dd></div>
              <div><dt>{tr("admin.roster.row_errors")}</dt><dd id="roster-errors-count" data-count={job.errors.length}>{formatNumber(job.errors.length)}</dd></div>
            </dl>
            {job.errors.length > 0 && (
              <div class="ac-scroll ac-scroll--short">
                <table class="pc-table pc-table--compact" id="roster-errors">
                  <thead>
                    <tr><th scope="col">{tr("admin.bank.col.row")}</th><th scope="col">{tr("admin.roster.col.problem")}</th></tr>
                  </thead>
                  <tbody>
                    {job.errors.slice(0, 300).map((e) => (
                      <tr key={`${e.row}-${e.code}`}><td class="pc-num">{e.row}</td><td>{e.login ? `${e.login}: ` : ""}{problemText(e.code)}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <Passwords job={job} onDownload={download} />
          </div>
        )}
      </div>

      <div class="pc-panel ac-panel">
        <div class="pc-bar">
          <h2 class="pc-h2">{tr("admin.roster.list")}</h2>
          <button type="button" class="button button--secondary pc-small-button" onClick={reloadRoster}>{tr("admin.common.refresh")}</button>
        </div>
        <LoadState value={roster}>{(data) => <RosterTable candidates={data.candidates} />}</LoadState>
      </div>
    </section>
  );
}

function Passwords({ job, onDownload }: { job: RosterJob; onDownload: () => void }) {
  if (job.passwords.length)
    return (
      <div class="notice notice--warning ac-passwords" id="roster-passwords">
        <p class="notice__title">{tr("admin.roster.passwords_title", { n: job.passwords.length })}</p>
        <p>{tr("admin.roster.passwords_once")}</p>
        <button type="button" class="button button--primary" id="roster-passwords-download" onClick={onDownload}>
          {tr("admin.roster.passwords_download")}
        </button>
      </div>
    );
  if (job.passwords_downloaded)
    return <p class="pc-muted" id="roster-passwords-gone">{tr("admin.roster.passwords_gone")}</p>;
  return null;
}

/** One candidate's row as the table shows it. */
function rowOf(c: RosterEntry) {
  const consent = c.consent_at ?? null;
  return {
    login: c.login ?? c.user_id ?? "",
    name: c.full_name ?? "",
    language: c.language ?? "",
    slot: c.slot_id ?? "",
    admission: c.admission ?? (c.admitted_at ? "admitted" : ""),
    consent,
    session: c.session_status ?? null,
  };
}

const PAGE = 100;

function RosterTable({ candidates }: { candidates: RosterEntry[] }) {
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(0);
  useEffect(() => setPage(0), [filter]);
  const rows = candidates.map(rowOf).filter((r) => !filter || `${r.login} ${r.name}`.toLowerCase().includes(filter.toLowerCase()));
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const consented = candidates.map(rowOf).filter((r) => r.consent).length;
  return (
    <>
      <p id="roster-count">{tr("admin.roster.count", { n: candidates.length, consented })}</p>
      <div class="pc-filter ac-search">
        <label for="roster-search">{tr("admin.roster.search")}</label>
        <input id="roster-search" class="pc-input pc-input--short" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </div>
      <div class="ac-scroll">
        <table class="pc-table pc-table--compact" id="roster-table">
          <thead>
            <tr>
              <th scope="col">{tr("admin.roster.col.login")}</th>
              <th scope="col">{tr("admin.roster.col.name")}</th>
              <th scope="col">{tr("admin.roster.col.language")}</th>
              <th scope="col">{tr("admin.roster.col.slot")}</th>
              <th scope="col">{tr("admin.roster.col.admission")}</th>
              <th scope="col">{tr("admin.roster.col.consent")}</th>
              <th scope="col">{tr("admin.roster.col.session")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(page * PAGE, (page + 1) * PAGE).map((r) => (
              <tr key={r.login} data-login={r.login}>
                <td>{r.login}</td>
                <td>{r.name || "—"}</td>
                <td>{r.language || "—"}</td>
                <td>{r.slot || "—"}</td>
                <td>{r.admission ? <Tag kind={r.admission === "admitted" ? "green" : "grey"}>{trAdmission(r.admission)}</Tag> : "—"}</td>
                <td>{r.consent ? <Tag kind="green">{tr("admin.roster.consent_at", { at: when(r.consent) })}</Tag> : <Tag kind="grey">{tr("admin.roster.no_consent")}</Tag>}</td>
                <td>{r.session ? trSession(r.session) : tr("admin.roster.not_started")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <div class="pc-action__row">
          <button type="button" class="button button--secondary pc-small-button" disabled={page === 0} onClick={() => setPage(page - 1)}>{tr("admin.common.previous")}</button>
          <span>{tr("admin.common.page", { page: page + 1, pages })}</span>
          <button type="button" class="button button--secondary pc-small-button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>{tr("admin.common.next")}</button>
        </div>
      )}
    </>
  );
}

function trAdmission(status: string): string {
  return ["admitted", "disabled", "revoked"].includes(status) ? tr(`admin.roster.admission.${status}`) : status;
}

function trSession(status: string): string {
  return ["in_progress", "submitted", "awaiting_review", "accepted", "annulled", "expired", "terminated", "not_started"].includes(status)
    ? tr(`admin.session.${status}`)
    : status;
}
