/** The personal cabinet: admitted exams, their windows, and each sitting's status and result. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../shared/api/client";
import type { AdmittedExam, SessionOutcome } from "../shared/api/types";
import { errorText, formatDateTime, formatMinutes, formatNumber, pick, t } from "../shared/i18n/i18n";
import { Button, Heading, Notice, Tag, type TagKind } from "../shared/ui/components";
import { rememberedSitting } from "./sitting";
import { type Booking, bookedSlot, type ExamWithSlots, type Slot, Slots, slotPhase } from "./Slots";

function statusTag(session: SessionOutcome | null, exam: AdmittedExam, now: number) {
  const map: Record<string, [TagKind, string]> = {
    in_progress: ["blue", "cabinet.status.in_progress"],
    submitted: ["yellow", "cabinet.status.awaiting_review"],
    awaiting_review: ["yellow", "cabinet.status.awaiting_review"],
    accepted: ["green", "cabinet.status.accepted"],
    annulled: ["red", "cabinet.status.annulled"],
  };
  if (session) {
    const [kind, key] = map[session.status] ?? ["grey", "cabinet.status.unknown"];
    return <Tag kind={kind}>{t(key)}</Tag>;
  }
  if (now < Date.parse(exam.opens_at)) return <Tag kind="grey">{t("cabinet.status.not_open")}</Tag>;
  if (now >= Date.parse(exam.closes_at)) return <Tag kind="grey">{t("cabinet.status.closed")}</Tag>;
  return <Tag kind="blue">{t("cabinet.status.open")}</Tag>;
}

export function ScoreText({ session }: { session: SessionOutcome }) {
  if (!session.score) return null;
  return (
    <>
      {t("result.score", {
        correct: session.score.correct,
        total: session.score.total,
        percent: formatNumber(session.score.percent, 1),
      })}
    </>
  );
}

function SlotNote({ exam, now }: { exam: ExamWithSlots; now: number }) {
  const phase = slotPhase(exam, now);
  const slot = bookedSlot(exam);
  if (phase === "unbooked") return <p data-slot-note="unbooked">{t("slots.required")}</p>;
  if (phase === "early" && slot)
    return <p data-slot-note="early">{t("slots.wait", { time: formatDateTime(slot.starts_at) })}</p>;
  if (phase === "missed") return <Notice kind="warning" title={t("slots.missed")} />;
  return null;
}

function ExamCard({
  exam: initial,
  onStart,
  onResume,
}: {
  exam: ExamWithSlots;
  onStart: (exam: AdmittedExam) => void;
  onResume: (exam: AdmittedExam) => void;
}) {
  const [exam, setExam] = useState<ExamWithSlots>(initial);
  const onSlots = (slots: Slot[], booking: Booking | null) => setExam({ ...exam, slots, booking });
  const now = Date.now();
  const session = exam.session;
  const phase = slotPhase(exam, now);
  const open =
    now >= Date.parse(exam.opens_at) && now < Date.parse(exam.closes_at) && (phase === "none" || phase === "open");
  const titleId = `exam-${exam.exam_id}`;
  return (
    <section class="card" aria-labelledby={titleId}>
      <h2 class="card__title" id={titleId}>
        {pick(exam.title)}
      </h2>
      <table class="summary-list">
        <tbody>
          <tr>
            <th scope="row">{t("cabinet.window")}</th>
            <td>
              {t("cabinet.window_value", { from: formatDateTime(exam.opens_at), to: formatDateTime(exam.closes_at) })}
            </td>
          </tr>
          <tr>
            <th scope="row">{t("cabinet.duration")}</th>
            <td>{formatMinutes(exam.duration_s)}</td>
          </tr>
          <tr>
            <th scope="row">{t("cabinet.status")}</th>
            <td>{statusTag(session, exam, now)}</td>
          </tr>
          {session && session.status !== "in_progress" && (
            <tr>
              <th scope="row">{t("cabinet.result")}</th>
              <td>
                {session.status === "annulled" ? (
                  <>
                    {t("cabinet.annulled")}
                    {session.verdict_reason && (
                      <>
                        <br />
                        {t("cabinet.reason", { reason: session.verdict_reason })}
                      </>
                    )}
                  </>
                ) : session.score ? (
                  <ScoreText session={session} />
                ) : (
                  t("cabinet.status.awaiting_review")
                )}
                {session.terminated && session.status !== "annulled" && (
                  <>
                    <br />
                    {t("cabinet.terminated", { reason: session.termination_reason ?? "" })}
                  </>
                )}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {(exam.slots?.length ?? 0) > 0 && now < Date.parse(exam.closes_at) && (
        <Slots exam={exam} locked={session !== null} onChanged={onSlots} />
      )}
      {!session && now < Date.parse(exam.closes_at) && <SlotNote exam={exam} now={now} />}
      {session?.status === "in_progress" && (
        <Button onClick={() => onResume(exam)}>{t("cabinet.continue")}</Button>
      )}
      {!session && open && <Button onClick={() => onStart(exam)}>{t("cabinet.start")}</Button>}
    </section>
  );
}

export function Cabinet({
  onStart,
  onResume,
}: {
  onStart: (exam: AdmittedExam) => void;
  onResume: (exam: AdmittedExam) => void;
}) {
  const [exams, setExams] = useState<AdmittedExam[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    api
      .myExams()
      .then(({ exams }) => {
        // F5 during the test: go straight back to it.
        const remembered = rememberedSitting();
        const current = exams.find((e) => e.exam_id === remembered && e.session?.status === "in_progress");
        if (current) onResume(current);
        else setExams(exams);
      })
      .catch(setError);
  };
  useEffect(load, []);
  return (
    <>
      <Heading caption={t("cabinet.title")}>{t("cabinet.heading")}</Heading>
      {error !== null && (
        <Notice kind="error" title={errorText(error)} live>
          <Button variant="secondary" onClick={load}>
            {t("common.retry")}
          </Button>
        </Notice>
      )}
      {exams === null && error === null && <p role="status">{t("common.loading")}</p>}
      {exams?.length === 0 && <p>{t("cabinet.empty")}</p>}
      {exams?.map((exam) => (
        <ExamCard key={exam.exam_id} exam={exam} onStart={onStart} onResume={onResume} />
      ))}
    </>
  );
}
