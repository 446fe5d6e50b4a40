/** Booking a time slot in the cabinet: an exam with slots is started "at the chosen time" only. */
import { useState } from "preact/hooks";
import { request } from "../shared/api/client";
import type { AdmittedExam } from "../shared/api/types";
import { errorText, formatDateTime, formatNumber, t } from "../shared/i18n/i18n";
import { Button, Notice, Tag } from "../shared/ui/components";

export interface Slot {
  slot_id: string;
  starts_at: string;
  ends_at: string;
  grace_s: number;
  capacity: number;
  booked: number;
  available: number;
}

export interface Booking {
  slot_id: string;
  booked_at: string | null;
}

/** `/me/exams` carries each exam's slots and the candidate's booking (empty slots: no booking needed). */
export type ExamWithSlots = AdmittedExam & { slots?: Slot[]; booking?: Booking | null };

interface SlotsAnswer {
  exam_id: string;
  slots: Slot[];
  booking: Booking | null;
}

const enc = encodeURIComponent;
export const slotsApi = {
  book: (examId: string, slotId: string) =>
    request<SlotsAnswer>("POST", `/exams/${enc(examId)}/booking`, { slot_id: slotId }),
  cancel: (examId: string) => request<SlotsAnswer>("DELETE", `/exams/${enc(examId)}/booking`),
  get: (examId: string) => request<SlotsAnswer>("GET", `/exams/${enc(examId)}/slots`),
};

export type SlotPhase = "none" | "unbooked" | "early" | "open" | "missed";

/** Where the candidate stands with the exam's slots at `now` (ms). */
export function slotPhase(exam: ExamWithSlots, now: number): SlotPhase {
  const slots = exam.slots ?? [];
  if (slots.length === 0) return "none";
  const slot = slots.find((s) => s.slot_id === exam.booking?.slot_id);
  if (!slot) return "unbooked";
  if (now < Date.parse(slot.starts_at)) return "early";
  if (now >= Date.parse(slot.ends_at)) return "missed";
  return "open";
}

export function bookedSlot(exam: ExamWithSlots): Slot | undefined {
  return (exam.slots ?? []).find((s) => s.slot_id === exam.booking?.slot_id);
}

export function Slots({
  exam,
  locked,
  onChanged,
}: {
  exam: ExamWithSlots;
  locked: boolean; // the sitting has started: the booking is fixed
  onChanged: (slots: Slot[], booking: Booking | null) => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  // what the last action did, as a key and its slot: rendered now, so it follows a language switch
  const [done, setDone] = useState<{ key: string; startsAt?: string } | null>(null);
  const now = Date.now();
  const slots = exam.slots ?? [];
  const mine = bookedSlot(exam);
  const minutes = Math.round((slots[0]?.grace_s ?? 900) / 60);
  const act = (key: string, call: () => Promise<SlotsAnswer>, message: { key: string; startsAt?: string }) => {
    setBusy(key);
    setError(null);
    setDone(null);
    call()
      .then((answer) => {
        onChanged(answer.slots, answer.booking);
        setDone(message);
      })
      .catch((e) => {
        setError(e);
        // a full slot or a changed booking: show the list as it is now
        slotsApi
          .get(exam.exam_id)
          .then((a) => onChanged(a.slots, a.booking))
          .catch(() => undefined);
      })
      .finally(() => setBusy(null));
  };
  const headingId = `slots-${exam.exam_id}`;
  return (
    <section class="slots" aria-labelledby={headingId} data-slots={exam.exam_id}>
      <h3 class="slots__title" id={headingId}>
        {t("slots.title")}
      </h3>
      <p class="body-s">{t("slots.intro", { minutes })}</p>
      {mine && (
        <p data-booked={mine.slot_id}>
          {t("slots.booked", { from: formatDateTime(mine.starts_at), to: formatDateTime(mine.ends_at) })}
        </p>
      )}
      {error !== null && <Notice kind="error" title={errorText(error)} live />}
      {done !== null && (
        <p role="status" class="body-s">
          {t(done.key, { time: done.startsAt ? formatDateTime(done.startsAt) : "" })}
        </p>
      )}
      <table class="summary-list">
        <thead>
          <tr>
            <th scope="col">{t("slots.time")}</th>
            <th scope="col">{t("slots.seats")}</th>
            <th scope="col">
              <span class="sr-only">{t("slots.action")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {slots.map((slot) => {
            const time = formatDateTime(slot.starts_at);
            const ended = now >= Date.parse(slot.ends_at);
            const isMine = slot.slot_id === mine?.slot_id;
            return (
              <tr key={slot.slot_id} data-slot={slot.slot_id}>
                <th scope="row">
                  <time dateTime={slot.starts_at}>{time}</time>
                </th>
                <td>{formatNumber(slot.available)}</td>
                <td>
                  {isMine ? (
                    <>
                      <Tag kind="green">{t("slots.mine")}</Tag>{" "}
                      {!locked && (
                        <Button
                          variant="secondary"
                          busy={busy === "cancel"}
                          disabled={busy !== null}
                          onClick={() =>
                            act("cancel", () => slotsApi.cancel(exam.exam_id), { key: "slots.done_cancelled" })
                          }
                        >
                          {t("slots.cancel")}
                        </Button>
                      )}
                    </>
                  ) : ended ? (
                    <Tag kind="grey">{t("slots.closed")}</Tag>
                  ) : slot.available <= 0 ? (
                    <Tag kind="grey">{t("slots.full")}</Tag>
                  ) : (
                    !locked && (
                      <Button
                        variant="secondary"
                        busy={busy === slot.slot_id}
                        disabled={busy !== null}
                        aria-label={t("slots.book_named", { time })}
                        onClick={() =>
                          act(slot.slot_id, () => slotsApi.book(exam.exam_id, slot.slot_id), {
                            key: "slots.done_booked",
                            startsAt: slot.starts_at,
                          })
                        }
                      >
                        {t("slots.book")}
                      </Button>
                    )
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
