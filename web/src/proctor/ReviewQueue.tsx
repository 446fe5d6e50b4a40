/** The review queue: finished sessions, least credible first, with why; open one, or give the verdict. */
import { useEffect, useState } from "preact/hooks";
import { formatDateTime, formatNumber } from "../shared/i18n/i18n";
import { Button, Dialog, ErrorSummary, Heading, Notice, Tag } from "../shared/ui/components";
import { proctorApi, type ReviewEntry } from "./api";
import { type ActionState } from "./hooks";
import { consoleError, tr, violationName } from "./i18n";
import { displayName } from "./LiveGrid";
import { type ExamOption, ExamSelect, type OpenSession } from "./ProctorApp";

function VerdictDialog({ entry, onClose, onDone }: { entry: ReviewEntry; onClose: () => void; onDone: (text: () => string) => void }) {
  const [verdict, setVerdict] = useState<"accept" | "annul" | "">("");
  const [reason, setReason] = useState("");
  const [errorKeys, setErrorKeys] = useState<{ field: string; key: string }[]>([]);
  const [state, setState] = useState<ActionState>({ state: "idle" });
  const name = displayName(entry);
  const submit = async () => {
    const found: { field: string; key: string }[] = [];
    if (!verdict) found.push({ field: "verdict-accept", key: "proctor.verdict.choose" });
    if (verdict === "annul" && !reason.trim()) found.push({ field: "verdict-reason", key: "proctor.verdict.reason_required" });
    setErrorKeys(found);
    if (found.length || !verdict) return;
    setState({ state: "pending" });
    try {
      await proctorApi.verdict(entry.session_id, verdict, reason.trim());
      const text = () => tr(verdict === "accept" ? "proctor.verdict.accepted" : "proctor.verdict.annulled", { name });
      setState({ state: "done", text });
      onDone(text);
    } catch (error) {
      setState({ state: "failed", text: () => consoleError(error) });
    }
  };
  const errors = errorKeys.map((e) => ({ field: e.field, text: tr(e.key) }));
  const fieldError = (field: string) => errors.find((e) => e.field === field)?.text;
  return (
    <Dialog title={tr("proctor.verdict.title", { name })} onClose={onClose} labelledBy="verdict-title">
      <ErrorSummary errors={errors} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <fieldset class={`radios ${fieldError("verdict-accept") ? "field--error" : ""}`}>
          <legend>{tr("proctor.verdict.question")}</legend>
          {fieldError("verdict-accept") && <span class="error-message">{fieldError("verdict-accept")}</span>}
          <label class="radio">
            <input type="radio" name="verdict" id="verdict-accept" value="accept" checked={verdict === "accept"} onChange={() => setVerdict("accept")} />
            {tr("proctor.verdict.accept")}
          </label>
          <label class="radio">
            <input type="radio" name="verdict" id="verdict-annul" value="annul" checked={verdict === "annul"} onChange={() => setVerdict("annul")} />
            {tr("proctor.verdict.annul")}
          </label>
        </fieldset>
        <div class={`field ${fieldError("verdict-reason") ? "field--error" : ""}`}>
          <label for="verdict-reason">{tr("proctor.verdict.reason")}</label>
          <span class="hint">{tr("proctor.verdict.reason_hint")}</span>
          {fieldError("verdict-reason") && (
            <span class="error-message" id="verdict-reason-error">
              {fieldError("verdict-reason")}
            </span>
          )}
          <textarea
            id="verdict-reason"
            class="pc-input"
            rows={3}
            maxLength={1000}
            value={reason}
            aria-describedby={fieldError("verdict-reason") ? "verdict-reason-error" : undefined}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
        </div>
        {state.state === "failed" && (
          <Notice kind="error" live>
            <p>{state.text()}</p>
          </Notice>
        )}
        <div class="pc-action__row">
          <Button type="submit" id="verdict-submit" busy={state.state === "pending"}>
            {tr("proctor.verdict.submit")}
          </Button>
          <Button variant="secondary" id="verdict-cancel" onClick={onClose}>
            {tr("proctor.common.cancel")}
          </Button>
          <span role="status" class="pc-state">
            {state.state === "pending" && tr("proctor.action.pending")}
          </span>
        </div>
      </form>
    </Dialog>
  );
}

function Reasons({ entry }: { entry: ReviewEntry }) {
  const lines = entry.credibility_breakdown.lines;
  if (!lines.length) return <span class="pc-muted">{tr("proctor.breakdown.none")}</span>;
  return (
    <ul class="pc-reasons">
      {lines.map((l) => (
        <li key={l.type}>
          {tr("proctor.review.line", {
            type: violationName(l.type),
            count: formatNumber(l.count),
            weight: formatNumber(l.weight, 1),
            penalty: formatNumber(l.penalty, 1),
          })}
        </li>
      ))}
    </ul>
  );
}

export function ReviewQueue({
  exams,
  examId,
  onExam,
  onOpen,
}: {
  exams: ExamOption[];
  examId: string;
  onExam: (id: string) => void;
  onOpen: (s: OpenSession) => void;
}) {
  const [entries, setEntries] = useState<ReviewEntry[] | null>(null);
  const [failed, setFailed] = useState<unknown>(null); // the error itself: shown in the current language
  const [deciding, setDeciding] = useState<ReviewEntry | null>(null);
  const [done, setDone] = useState<(() => string) | null>(null);
  const [loading, setLoading] = useState(false);
  const load = async () => {
    setLoading(true);
    try {
      setEntries((await proctorApi.review(examId || undefined)).sessions);
      setFailed(null);
    } catch (error) {
      setFailed(error ?? new Error("failed"));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, [examId]);
  return (
    <>
      <div class="pc-bar">
        <Heading>{tr("proctor.review.title")}</Heading>
        <ExamSelect exams={exams} value={examId} onChange={onExam} />
        <Button variant="secondary" id="review-refresh" busy={loading} onClick={load}>
          {tr("proctor.common.refresh")}
        </Button>
      </div>
      <p class="pc-small">{tr("proctor.review.intro")}</p>
      {done && (
        <Notice kind="success" live>
          <p data-testid="verdict-done">{done()}</p>
        </Notice>
      )}
      {failed != null && (
        <Notice kind="error" live>
          <p>{consoleError(failed)}</p>
        </Notice>
      )}
      {!entries && failed == null && <p>{tr("common.loading")}</p>}
      {entries && entries.length === 0 && <Notice>{tr("proctor.review.empty")}</Notice>}
      {entries && entries.length > 0 && (
        <table class="pc-table" data-testid="review-queue">
          <thead>
            <tr>
              <th scope="col">{tr("proctor.review.candidate")}</th>
              <th scope="col">{tr("proctor.review.status")}</th>
              <th scope="col">{tr("proctor.review.submitted")}</th>
              <th scope="col" class="pc-right">{tr("proctor.review.score")}</th>
              <th scope="col" class="pc-right">{tr("proctor.grid.credibility")}</th>
              <th scope="col">{tr("proctor.review.why")}</th>
              <th scope="col">{tr("proctor.review.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => {
              const name = displayName(e);
              return (
                <tr key={e.session_id} data-session={e.session_id}>
                  <td>
                    <strong>{name}</strong>
                    <br />
                    <span class="pc-muted pc-small">{e.login}</span>
                  </td>
                  <td>
                    {e.terminated ? (
                      <>
                        <Tag kind="red">{tr("proctor.status.terminated")}</Tag>
                        <p class="pc-small" data-testid="termination-reason">
                          {tr("proctor.review.termination_reason", { reason: e.termination_reason ?? "" })}
                        </p>
                      </>
                    ) : (
                      <Tag kind="yellow">{tr("proctor.status.awaiting_review")}</Tag>
                    )}
                  </td>
                  <td class="pc-small">{e.submitted_at ? formatDateTime(e.submitted_at) : "—"}</td>
                  <td class="pc-right pc-num">
                    {e.score ? tr("proctor.review.score_value", { correct: e.score.correct, total: e.score.total }) : "—"}
                  </td>
                  <td class="pc-right pc-num">
                    <strong>{formatNumber(e.credibility)}</strong>
                  </td>
                  <td class="pc-small">
                    <Reasons entry={e} />
                  </td>
                  <td class="pc-actions-cell">
                    <Button variant="secondary" class="pc-small-button" onClick={() => onOpen({ session_id: e.session_id, name })}>
                      {tr("proctor.review.open")}
                    </Button>
                    <Button
                      class="pc-small-button"
                      data-action="verdict"
                      disabled={e.status !== "awaiting_review"}
                      onClick={() => {
                        setDone(null);
                        setDeciding(e);
                      }}
                    >
                      {tr("proctor.review.verdict")}
                    </Button>
                    {e.status !== "awaiting_review" && <p class="pc-small pc-muted">{tr("proctor.review.not_ready")}</p>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {deciding && (
        <VerdictDialog
          entry={deciding}
          onClose={() => setDeciding(null)}
          onDone={(text) => {
            setDeciding(null);
            setDone(() => text);
            load();
          }}
        />
      )}
    </>
  );
}
