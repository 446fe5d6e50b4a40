/** Staff: proctors and admins of the agency; a new account's password is shown once; exam limits; disable. */
import { useState } from "preact/hooks";
import { pick } from "../shared/i18n/i18n";
import { Tag } from "../shared/ui/components";
import { adminApi, type Exam, type StaffMember } from "./api";
import { tr } from "./i18n";
import { ActionLine, Field, LoadState, useAction, useLoad, when } from "./ui";

export function OneTimePassword({ login, password, id }: { login: string; password: string; id: string }) {
  return (
    <div class="notice notice--warning ac-otp" id={id} role="status">
      <p class="notice__title">{tr("admin.staff.password_title", { login })}</p>
      <p>
        <code class="ac-password" data-testid="one-time-password">{password}</code>
      </p>
      <p>{tr("admin.staff.password_once")}</p>
    </div>
  );
}

export function StaffScreen({ exams }: { exams: Exam[] }) {
  const [staff, reload] = useLoad(() => adminApi.staff(), []);
  const [login, setLogin] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<"proctor" | "admin">("proctor");
  const [limited, setLimited] = useState<string[]>([]);
  const [problems, setProblems] = useState<Record<string, () => string>>({});
  const [shown, setShown] = useState<{ login: string; password: string } | null>(null);
  const [action, run] = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const found: Record<string, () => string> = {};
    if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/.test(login.trim())) found["staff-login"] = () => tr("admin.staff.login_invalid");
    if (!name.trim()) found["staff-name"] = () => tr("admin.staff.name_missing");
    setProblems(found);
    if (Object.keys(found).length) return;
    void run(async () => {
      const created = await adminApi.createStaff({
        login: login.trim(),
        full_name: name.trim(),
        role,
        ...(role === "proctor" && limited.length ? { exam_ids: limited } : {}),
      });
      setShown({ login: created.login, password: created.password });
      setLogin("");
      setName("");
      setLimited([]);
      reload();
      return () => tr("admin.staff.created", { login: created.login });
    });
  };
  return (
    <section aria-labelledby="staff-title">
      <h1 class="heading-l" id="staff-title" tabIndex={-1}>{tr("admin.staff.title")}</h1>
      {shown && <OneTimePassword login={shown.login} password={shown.password} id="staff-password" />}
      <form class="pc-panel ac-panel" onSubmit={create} noValidate id="staff-form">
        <h2 class="pc-h2">{tr("admin.staff.new")}</h2>
        <div class="ac-grid3">
          <Field id="staff-login" label={tr("admin.staff.login")} error={problems["staff-login"]?.()}>
            <input id="staff-login" class="pc-input" autoComplete="off" value={login} onInput={(e) => setLogin((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="staff-name" label={tr("admin.staff.name")} error={problems["staff-name"]?.()}>
            <input id="staff-name" class="pc-input" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="staff-role" label={tr("admin.staff.role")}>
            <select id="staff-role" class="pc-select" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as "proctor" | "admin")}>
              <option value="proctor">{tr("roles.proctor")}</option>
              <option value="admin">{tr("roles.admin")}</option>
            </select>
          </Field>
        </div>
        {role === "proctor" && exams.length > 0 && (
          <fieldset class="ac-fieldset ac-fieldset--plain">
            <legend class="label">{tr("admin.staff.exams")}</legend>
            <span class="hint ac-hint">{tr("admin.staff.exams_hint")}</span>
            <div class="ac-checks ac-checks--wrap">
              {exams.map((e) => (
                <label key={e.exam_id} class="ac-check">
                  <input type="checkbox" value={e.exam_id} checked={limited.includes(e.exam_id)} onChange={(ev) => setLimited((ev.target as HTMLInputElement).checked ? [...limited, e.exam_id] : limited.filter((x) => x !== e.exam_id))} />{" "}
                  {pick(e.title)}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <button type="submit" class="button button--primary" id="staff-create" disabled={action.state === "pending"}>{tr("admin.staff.create")}</button>
        <ActionLine action={action} id="staff-state" />
      </form>
      <LoadState value={staff}>
        {({ staff: list }) => <StaffTable list={list} exams={exams} reload={reload} onPassword={setShown} />}
      </LoadState>
    </section>
  );
}

function StaffTable({
  list,
  exams,
  reload,
  onPassword,
}: {
  list: StaffMember[];
  exams: Exam[];
  reload: () => void;
  onPassword: (p: { login: string; password: string }) => void;
}) {
  const [action, run] = useAction();
  const title = (id: string) => {
    const exam = exams.find((e) => e.exam_id === id);
    return exam ? pick(exam.title) : id;
  };
  return (
    <>
      <ActionLine action={action} id="staff-row-state" />
      <table class="pc-table" id="staff-table">
        <thead>
          <tr>
            <th scope="col">{tr("admin.staff.login")}</th>
            <th scope="col">{tr("admin.staff.name")}</th>
            <th scope="col">{tr("admin.staff.role")}</th>
            <th scope="col">{tr("admin.staff.exams")}</th>
            <th scope="col">{tr("admin.staff.state")}</th>
            <th scope="col">{tr("admin.exams.col.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.login} data-login={m.login}>
              <td>{m.login}<p class="pc-muted pc-small">{when(m.created_at)}</p></td>
              <td>{m.full_name}</td>
              <td>{tr(m.role === "admin" ? "roles.admin" : "roles.proctor")}</td>
              <td class="pc-small">{m.role === "admin" ? "—" : m.exam_ids?.length ? m.exam_ids.map(title).join(", ") : tr("admin.staff.all_exams")}</td>
              <td>{m.disabled ? <Tag kind="grey">{tr("admin.staff.disabled")}</Tag> : <Tag kind="green">{tr("admin.staff.active")}</Tag>}</td>
              <td class="ac-actions">
                <button type="button" class="linkish" data-action="toggle" onClick={() => run(async () => { await adminApi.updateStaff(m.login, { disabled: !m.disabled }); reload(); return () => tr(m.disabled ? "admin.staff.enabled_done" : "admin.staff.disabled_done", { login: m.login }); })}>
                  {m.disabled ? tr("admin.staff.enable") : tr("admin.staff.disable")}
                </button>
                <button type="button" class="linkish" data-action="reset" onClick={() => run(async () => { const { password } = await adminApi.resetPassword(m.login); onPassword({ login: m.login, password }); return () => tr("admin.staff.reset_done", { login: m.login }); })}>
                  {tr("admin.staff.reset")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
