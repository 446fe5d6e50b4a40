/** Slots: times within the exam's window with a capacity; candidates book one in their cabinet. */
import { useState } from "preact/hooks";
import { Tag } from "../shared/ui/components";
import { adminApi } from "./api";
import { tr } from "./i18n";
import { ActionLine, Field, fromLocalInput, LoadState, toLocalInput, useAction, useLoad, when } from "./ui";

export function SlotsScreen({ examId }: { examId: string }) {
  const [slots, reload] = useLoad(() => adminApi.slots(examId), [examId]);
  const [startsAt, setStartsAt] = useState(toLocalInput(new Date(Math.ceil(Date.now() / 3600000) * 3600000 + 3600000).toISOString()));
  const [capacity, setCapacity] = useState("30");
  const [problem, setProblem] = useState<string | null>(null); // a key: shown in the current language
  const [action, run] = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const at = fromLocalInput(startsAt);
    const cap = Number(capacity);
    if (!at) return setProblem("admin.slots.time_invalid");
    if (!Number.isInteger(cap) || cap < 1 || cap > 100000) return setProblem("admin.slots.capacity_invalid");
    setProblem(null);
    void run(async () => {
      await adminApi.createSlot(examId, at, cap);
      reload();
      return () => tr("admin.slots.created");
    });
  };
  return (
    <section aria-labelledby="slots-title">
      <h1 class="heading-l" id="slots-title" tabIndex={-1}>{tr("admin.slots.title")}</h1>
      <p class="hint ac-hint">{tr("admin.slots.hint")}</p>
      <form class="pc-panel ac-panel ac-inline-form" onSubmit={create} noValidate id="slot-form">
        <Field id="slot-start" label={tr("admin.slots.starts_at")} hint={tr("admin.form.time_hint")} error={problem ? tr(problem) : undefined}>
          <input id="slot-start" type="datetime-local" class="pc-input pc-input--short" value={startsAt} onInput={(e) => setStartsAt((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="slot-capacity" label={tr("admin.slots.capacity")}>
          <input id="slot-capacity" type="number" min={1} class="pc-input ac-input--num" value={capacity} onInput={(e) => setCapacity((e.target as HTMLInputElement).value)} />
        </Field>
        <button type="submit" class="button button--primary" id="slot-create" disabled={action.state === "pending"}>{tr("admin.slots.create")}</button>
        <ActionLine action={action} id="slot-state" />
      </form>
      <LoadState value={slots}>
        {({ slots: list }) =>
          list.length === 0 ? (
            <p class="pc-muted">{tr("admin.slots.none")}</p>
          ) : (
            <table class="pc-table" id="slot-table">
              <thead>
                <tr>
                  <th scope="col">{tr("admin.slots.starts_at")}</th>
                  <th scope="col" class="pc-right">{tr("admin.slots.booked")}</th>
                  <th scope="col">{tr("admin.slots.fill")}</th>
                  <th scope="col">{tr("admin.exams.col.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <tr key={s.slot_id} data-slot={s.slot_id}>
                    <td>{when(s.starts_at)} <span class="pc-muted pc-small">({s.slot_id})</span></td>
                    <td class="pc-right pc-num">{tr("admin.slots.booked_of", { booked: s.booked, capacity: s.capacity })}</td>
                    <td>{s.booked >= s.capacity ? <Tag kind="red">{tr("admin.slots.full")}</Tag> : <progress class="ac-progress ac-progress--small" max={s.capacity} value={s.booked} />}</td>
                    <td>
                      {s.booked === 0 && (
                        <button type="button" class="linkish" onClick={() => run(async () => { await adminApi.deleteSlot(examId, s.slot_id); reload(); return () => tr("admin.slots.deleted"); })}>
                          {tr("admin.slots.delete")}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </section>
  );
}
