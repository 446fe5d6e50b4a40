/** Rejected identity checks of an exam, with the reasons and both photos; a proctor may override with a reason. */
import { useEffect, useState } from "preact/hooks";
import { formatDateTime, formatNumber, pick } from "../shared/i18n/i18n";
import { Button, ErrorSummary, Heading, Notice, Tag } from "../shared/ui/components";
import { type EnrollmentDetail, type EnrollmentEntry, proctorApi } from "./api";
import { type ActionState } from "./hooks";
import { consoleError, tr } from "./i18n";
import { type ExamOption, ExamSelect } from "./ProctorApp";

function Card({ entry, onOverridden }: { entry: EnrollmentEntry; onOverridden: (text: () => string) => void }) {
  const [detail, setDetail] = useState<EnrollmentDetail | null>(null);
  const [photosFailed, setPhotosFailed] = useState(false);
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState(false);
  const [state, setState] = useState<ActionState>({ state: "idle" });
  const fieldId = `override-${entry.candidate_id}`;
  useEffect(() => {
    proctorApi.enrollment(entry.exam_id, entry.candidate_id).then(setDetail, () => setPhotosFailed(true));
  }, [entry.exam_id, entry.candidate_id]);
  const submit = async () => {
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    setState({ state: "pending" });
    try {
      await proctorApi.override(entry.exam_id, entry.candidate_id, reason.trim());
      const text = () => tr("proctor.enrollment.overridden", { id: entry.login });
      setState({ state: "done", text });
      onOverridden(text);
    } catch (error) {
      setState({ state: "failed", text: () => consoleError(error) });
    }
  };
  const titleId = `enr-${entry.candidate_id}`;
  const errors = missing ? [{ field: fieldId, text: tr("proctor.enrollment.reason_required") }] : [];
  return (
    <section class="pc-card" aria-labelledby={titleId} data-candidate={entry.candidate_id}>
      <h2 class="pc-h2" id={titleId}>
        {entry.login}{" "}
        <Tag kind={entry.status === "rejected" ? "red" : entry.status === "overridden" ? "green" : "grey"}>
          {tr(`proctor.enrollment.status.${entry.status}`)}
        </Tag>
      </h2>
      <p class="pc-small">
        {tr("proctor.enrollment.attempts", { n: formatNumber(entry.attempts) })}
        {entry.decided_at && <> · {tr("proctor.enrollment.decided", { time: formatDateTime(entry.decided_at) })}</>}
      </p>
      <div class="pc-card__grid">
        <div>
          <h3 class="pc-h3">{tr("proctor.enrollment.reasons")}</h3>
          {entry.reasons.length === 0 ? (
            <p class="pc-muted">{tr("proctor.enrollment.no_reasons")}</p>
          ) : (
            <ul class="pc-reasons" data-testid="reasons">
              {entry.reasons.map((r) => (
                <li key={`${r.photo}-${r.code}`}>
                  <strong>{tr(`proctor.enrollment.photo.${r.photo === "selfie" || r.photo === "id_document" ? r.photo : "both"}`)}:</strong>{" "}
                  {pick(r.message)}
                </li>
              ))}
            </ul>
          )}
          {entry.status === "overridden" && entry.override_reason && (
            <p class="pc-small">{tr("proctor.enrollment.override_reason", { reason: entry.override_reason })}</p>
          )}
        </div>
        <div class="pc-photos">
          {photosFailed && <p>{tr("proctor.session.enrollment_failed")}</p>}
          {!detail && !photosFailed && <p>{tr("common.loading")}</p>}
          {detail && (
            <>
              <figure class="pc-photo">
                {detail.selfie_url ? <img src={detail.selfie_url} alt={tr("proctor.enrollment.selfie")} /> : <span class="pc-photo__none">{tr("proctor.enrollment.no_photo")}</span>}
                <figcaption>{tr("proctor.enrollment.selfie")}</figcaption>
              </figure>
              <figure class="pc-photo">
                {detail.id_document_url ? (
                  <img src={detail.id_document_url} alt={tr("proctor.enrollment.document")} />
                ) : (
                  <span class="pc-photo__none">{tr("proctor.enrollment.no_photo")}</span>
                )}
                <figcaption>{tr("proctor.enrollment.document")}</figcaption>
              </figure>
            </>
          )}
        </div>
        {entry.status === "rejected" && state.state !== "done" && (
          <form
            class="pc-override"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <ErrorSummary errors={errors} />
            <div class={`field ${errors.length ? "field--error" : ""}`}>
              <label for={fieldId}>{tr("proctor.enrollment.override_label")}</label>
              <span class="hint">{tr("proctor.enrollment.override_hint")}</span>
              {errors.length > 0 && <span class="error-message">{errors[0].text}</span>}
              <textarea
                id={fieldId}
                class="pc-input"
                rows={2}
                maxLength={1000}
                value={reason}
                onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
              />
            </div>
            <div class="pc-action__row">
              <Button type="submit" data-action="override" busy={state.state === "pending"}>
                {tr("proctor.enrollment.override")}
              </Button>
              <span role="status" class="pc-state">
                {state.state === "pending" && tr("proctor.action.pending")}
                {state.state === "failed" && <Tag kind="red">{state.text()}</Tag>}
              </span>
            </div>
          </form>
        )}
        {state.state === "done" && (
          <p role="status">
            <Tag kind="green">{state.text()}</Tag>
          </p>
        )}
      </div>
    </section>
  );
}

export function EnrollmentReview({
  exams,
  examId,
  onExam,
}: {
  exams: ExamOption[];
  examId: string;
  onExam: (id: string) => void;
}) {
  const chosen = examId || exams[0]?.exam_id || "";
  const [entries, setEntries] = useState<EnrollmentEntry[] | null>(null);
  const [failed, setFailed] = useState<unknown>(null); // the error itself: shown in the current language
  const [loading, setLoading] = useState(false);
  const [otherExam, setOtherExam] = useState("");
  const [notice, setNotice] = useState<(() => string) | null>(null);
  const load = async () => {
    if (!chosen) return;
    setLoading(true);
    try {
      setEntries((await proctorApi.enrollments(chosen, "rejected")).enrollments);
      setFailed(null);
    } catch (error) {
      setFailed(error ?? new Error("failed"));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setEntries(null);
    load();
  }, [chosen]);
  return (
    <>
      <div class="pc-bar">
        <Heading>{tr("proctor.enrollment.title")}</Heading>
        <ExamSelect
          exams={exams.some((e) => e.exam_id === chosen) || !chosen ? exams : [...exams, { exam_id: chosen, title: chosen }]}
          value={chosen}
          onChange={onExam}
          allowAll={false}
          id="enrollment-exam"
        />
        <Button variant="secondary" id="enrollment-refresh" busy={loading} disabled={!chosen} onClick={load}>
          {tr("proctor.common.refresh")}
        </Button>
      </div>
      <form
        class="pc-filter pc-other-exam"
        onSubmit={(e) => {
          e.preventDefault();
          if (otherExam.trim()) onExam(otherExam.trim());
        }}
      >
        <label for="other-exam">{tr("proctor.enrollment.other_exam")}</label>
        <input id="other-exam" class="pc-input pc-input--short" value={otherExam} onInput={(e) => setOtherExam((e.target as HTMLInputElement).value)} />
        <Button type="submit" variant="secondary" id="other-exam-show" class="pc-small-button">
          {tr("proctor.enrollment.show")}
        </Button>
      </form>
      <p class="pc-small">{tr("proctor.enrollment.intro")}</p>
      {notice && (
        <Notice kind="success" live>
          <p>{notice()}</p>
        </Notice>
      )}
      {!chosen && <Notice>{tr("proctor.enrollment.no_exams")}</Notice>}
      {failed != null && (
        <Notice kind="error" live>
          <p>{consoleError(failed)}</p>
        </Notice>
      )}
      {chosen && !entries && failed == null && <p>{tr("common.loading")}</p>}
      {entries && entries.length === 0 && <Notice>{tr("proctor.enrollment.empty")}</Notice>}
      {entries?.map((e) => (
        <Card key={e.candidate_id} entry={e} onOverridden={(text) => setNotice(() => text)} />
      ))}
    </>
  );
}
