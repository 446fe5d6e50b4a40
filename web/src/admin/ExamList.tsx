/** Exams: the agency's list with window, state and bank size; open/close now, duplicate for a make-up sitting. */
import { useState } from "preact/hooks";
import { pick } from "../shared/i18n/i18n";
import { Dialog, Tag } from "../shared/ui/components";
import { adminApi, type Exam } from "./api";
import type { AdminTab } from "./AdminApp";
import { examState } from "./examStatus";
import { tr } from "./i18n";
import { ActionLine, fromLocalInput, type Loaded, LoadState, toLocalInput, useAction, when } from "./ui";

const STATE_TAG = { scheduled: "blue", open: "green", closed: "grey" } as const;

export function ExamList({
  exams,
  reload,
  onNew,
  onEdit,
  onGo,
}: {
  exams: Loaded<{ exams: Exam[] }>;
  reload: () => void;
  onNew: () => void;
  onEdit: (exam: Exam) => void;
  onGo: (tab: AdminTab, examId: string) => void;
}) {
  const [action, run] = useAction();
  const [copying, setCopying] = useState<Exam | null>(null);
  const toggle = (exam: Exam, open: boolean) =>
    run(async () => {
      // a window that has ended reopens for a day (the form changes it further)
      const ended = Date.parse(exam.closes_at) <= Date.now();
      await (open
        ? adminApi.openExam(exam.exam_id, ended ? new Date(Date.now() + 86400000).toISOString() : undefined)
        : adminApi.closeExam(exam.exam_id));
      reload();
      return () => tr(open ? "admin.exams.opened" : "admin.exams.closed", { id: exam.exam_id });
    });
  return (
    <section aria-labelledby="exams-title">
      <div class="pc-bar">
        <h1 class="heading-l" id="exams-title" tabIndex={-1}>
          {tr("admin.exams.title")}
        </h1>
        <button type="button" class="button button--primary" id="new-exam" onClick={onNew}>
          {tr("admin.exams.new")}
        </button>
      </div>
      <ActionLine action={action} id="exam-action" />
      <LoadState value={exams}>
        {({ exams: list }) =>
          list.length === 0 ? (
            <p class="pc-muted">{tr("admin.exams.none")}</p>
          ) : (
            <div class="ac-scroll">
              <table class="pc-table" id="exam-table">
                <thead>
                  <tr>
                    <th scope="col">{tr("admin.exams.col.title")}</th>
                    <th scope="col">{tr("admin.exams.col.window")}</th>
                    <th scope="col">{tr("admin.exams.col.state")}</th>
                    <th scope="col" class="pc-right">{tr("admin.exams.col.bank")}</th>
                    <th scope="col">{tr("admin.exams.col.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((exam) => {
                    const state = examState(exam, Date.now());
                    const draws = exam.blocks.reduce((n, b) => n + b.item_count, 0);
                    return (
                      <tr key={exam.exam_id} data-exam={exam.exam_id}>
                        <td>
                          <strong>{pick(exam.title)}</strong>
                          <p class="pc-muted pc-small">{exam.exam_id}</p>
                        </td>
                        <td class="pc-small">
                          {when(exam.opens_at)} — {when(exam.closes_at)}
                        </td>
                        <td>
                          <Tag kind={STATE_TAG[state]}>{tr(`admin.exams.state.${state}`)}</Tag>
                        </td>
                        <td class="pc-right pc-num">
                          {tr("admin.exams.bank_of", { bank: exam.bank_size, draws })}
                        </td>
                        <td class="ac-actions">
                          <button type="button" class="linkish" data-action="edit" onClick={() => onEdit(exam)}>
                            {tr("admin.exams.edit")}
                          </button>
                          {state === "open" ? (
                            <button type="button" class="linkish" data-action="close" onClick={() => toggle(exam, false)}>
                              {tr("admin.exams.close")}
                            </button>
                          ) : (
                            <button type="button" class="linkish" data-action="open" onClick={() => toggle(exam, true)}>
                              {tr("admin.exams.open")}
                            </button>
                          )}
                          <button type="button" class="linkish" data-action="duplicate" onClick={() => setCopying(exam)}>
                            {tr("admin.exams.duplicate")}
                          </button>
                          <button type="button" class="linkish" data-action="bank" onClick={() => onGo("bank", exam.exam_id)}>
                            {tr("admin.tab.bank")}
                          </button>
                          <button type="button" class="linkish" data-action="roster" onClick={() => onGo("roster", exam.exam_id)}>
                            {tr("admin.tab.roster")}
                          </button>
                          <button type="button" class="linkish" data-action="results" onClick={() => onGo("results", exam.exam_id)}>
                            {tr("admin.tab.results")}
                          </button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </LoadState>
      {copying && (
        <DuplicateDialog
          exam={copying}
          onClose={(done) => {
            setCopying(null);
            if (done) reload();
          }}
        />
      )}
    </section>
  );
}

function DuplicateDialog({ exam, onClose }: { exam: Exam; onClose: (done: boolean) => void }) {
  // a week after the original (or after now), as long as the original window, at least a day
  const day = 24 * 3600 * 1000;
  const start = Math.max(Date.parse(exam.opens_at), Date.now()) + 7 * day;
  const span = Math.max(Date.parse(exam.closes_at) - Date.parse(exam.opens_at), day);
  const [opens, setOpens] = useState(toLocalInput(new Date(start).toISOString()));
  const [closes, setCloses] = useState(toLocalInput(new Date(start + span).toISOString()));
  const [action, run] = useAction();
  const [invalid, setInvalid] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    const opens_at = fromLocalInput(opens);
    const closes_at = fromLocalInput(closes);
    if (!opens_at || !closes_at || Date.parse(closes_at) <= Date.parse(opens_at)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    void run(async () => {
      const copy = await adminApi.duplicateExam(exam.exam_id, { opens_at, closes_at });
      setTimeout(() => onClose(true), 600);
      return () => tr("admin.exams.duplicated", { id: copy.exam_id });
    });
  };
  return (
    <Dialog title={tr("admin.exams.duplicate_title", { title: pick(exam.title) })} onClose={() => onClose(false)}>
      <form onSubmit={submit} noValidate class="ac-form">
        <p>{tr("admin.exams.duplicate_hint")}</p>
        <div class={`ac-field ${invalid ? "field--error" : ""}`}>
          <label for="dup-opens">{tr("admin.form.opens_at")}</label>
          {invalid && <span class="error-message">{tr("admin.form.window_invalid")}</span>}
          <input id="dup-opens" type="datetime-local" class="pc-input pc-input--short" value={opens} onInput={(e) => setOpens((e.target as HTMLInputElement).value)} />
        </div>
        <div class="ac-field">
          <label for="dup-closes">{tr("admin.form.closes_at")}</label>
          <input id="dup-closes" type="datetime-local" class="pc-input pc-input--short" value={closes} onInput={(e) => setCloses((e.target as HTMLInputElement).value)} />
        </div>
        <div class="pc-action__row">
          <button type="submit" class="button button--primary" id="dup-submit" disabled={action.state === "pending"}>
            {tr("admin.exams.duplicate")}
          </button>
          <button type="button" class="button button--secondary" onClick={() => onClose(false)}>
            {tr("admin.common.cancel")}
          </button>
        </div>
        <ActionLine action={action} id="dup-state" />
      </form>
    </Dialog>
  );
}
