/** The proctor console: live grid, session view, review queue, enrollment review, under one header with tabs. */
import { useEffect, useState } from "preact/hooks";
import type { Auth } from "../shared/api/client";
import { pick, useLang } from "../shared/i18n/i18n";
import { LanguageSwitch } from "../shared/ui/Layout";
import { type AdminExam, proctorApi } from "./api";
import { EnrollmentReview } from "./EnrollmentReview";
import { tr } from "./i18n";
import { LiveGrid } from "./LiveGrid";
import { examIds } from "./logic";
import { ReviewQueue } from "./ReviewQueue";
import { SessionView } from "./SessionView";
import "./console.css";

export type Tab = "live" | "session" | "review" | "enrollments";

export interface ExamOption {
  exam_id: string;
  title: string;
}

/** Exams to filter by: the agency's list with titles, plus any exam id seen on a session. */
function useExams(auth: Auth): [ExamOption[], (ids: string[]) => void] {
  const [admin, setAdmin] = useState<AdminExam[]>([]);
  const [seen, setSeen] = useState<string[]>([]);
  useEffect(() => {
    proctorApi.agencyExams().then((a) => setAdmin(a.exams), () => undefined);
    proctorApi.sessions().then((a) => setSeen((old) => [...new Set([...old, ...examIds(a.sessions)])]), () => undefined);
  }, [auth.user_id]);
  const more = (ids: string[]) =>
    setSeen((old) => (ids.every((id) => old.includes(id)) ? old : [...new Set([...old, ...ids])]));
  const options: ExamOption[] = admin.map((e) => ({ exam_id: e.exam_id, title: pick(e.title) }));
  for (const id of seen) if (!options.some((o) => o.exam_id === id)) options.push({ exam_id: id, title: id });
  return [options, more];
}

export function ExamSelect({
  exams,
  value,
  onChange,
  allowAll = true,
  id = "exam-filter",
}: {
  exams: ExamOption[];
  value: string;
  onChange: (examId: string) => void;
  allowAll?: boolean;
  id?: string;
}) {
  return (
    <div class="pc-filter">
      <label for={id}>{tr("proctor.filter.exam")}</label>
      <select id={id} class="pc-select" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {allowAll && <option value="">{tr("proctor.filter.all_exams")}</option>}
        {!allowAll && !value && <option value="">{tr("proctor.filter.choose_exam")}</option>}
        {exams.map((e) => (
          <option key={e.exam_id} value={e.exam_id}>
            {e.title === e.exam_id ? e.exam_id : `${e.title} (${e.exam_id})`}
          </option>
        ))}
      </select>
    </div>
  );
}

export interface OpenSession {
  session_id: string;
  name: string;
}

export function ProctorApp({ auth, onLogout }: { auth: Auth; onLogout: () => void }) {
  useLang();
  const [tab, setTab] = useState<Tab>("live");
  const [open, setOpen] = useState<OpenSession | null>(null);
  const [examId, setExamId] = useState("");
  const [exams, seeExams] = useExams(auth);
  document.title = tr("proctor.title");
  const openSession = (session: OpenSession) => {
    setOpen(session);
    setTab("session");
  };
  const tabs: [Tab, string][] = [
    ["live", tr("proctor.tab.live")],
    ...(open ? ([["session", tr("proctor.tab.session", { name: open.name })]] as [Tab, string][]) : []),
    ["review", tr("proctor.tab.review")],
    ["enrollments", tr("proctor.tab.enrollments")],
  ];
  return (
    <div class="pc">
      <a class="skip-link" href="#main">
        {tr("header.skip")}
      </a>
      <header class="header pc-header">
        <div class="pc-header__inner">
          <span class="header__title">{tr("proctor.title")}</span>
          <nav aria-label={tr("proctor.tab.label")} class="pc-tabs">
            {tabs.map(([key, label]) => (
              <button
                key={key}
                type="button"
                class="pc-tab"
                data-tab={key}
                aria-current={tab === key ? "page" : undefined}
                onClick={() => setTab(key)}
              >
                {label}
              </button>
            ))}
          </nav>
          <LanguageSwitch />
          <span class="header__user">
            {auth.full_name || auth.user_id} ({tr(auth.role === "admin" ? "roles.admin" : "roles.proctor")}){" · "}
            <button type="button" class="linkish" id="logout" onClick={onLogout}>
              {tr("header.logout")}
            </button>
          </span>
        </div>
      </header>
      <main class="pc-main" id="main">
        {tab === "live" && (
          <LiveGrid
            userId={auth.user_id}
            exams={exams}
            examId={examId}
            onExam={setExamId}
            onSeenExams={seeExams}
            onOpen={openSession}
          />
        )}
        {tab === "session" && open && (
          <SessionView key={open.session_id} userId={auth.user_id} sessionId={open.session_id} />
        )}
        {tab === "review" && <ReviewQueue exams={exams} examId={examId} onExam={setExamId} onOpen={openSession} />}
        {tab === "enrollments" && <EnrollmentReview exams={exams} examId={examId} onExam={setExamId} />}
      </main>
    </div>
  );
}
