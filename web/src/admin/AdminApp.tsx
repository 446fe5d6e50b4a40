/** The agency admin's console: exams and everything per exam (bank, roster, slots, results), staff, audit, billing. */
import { useState } from "preact/hooks";
import type { Auth } from "../shared/api/client";
import { pick, useLang } from "../shared/i18n/i18n";
import { LanguageSwitch } from "../shared/ui/Layout";
import { adminApi, type Exam } from "./api";
import { AuditScreen } from "./AuditScreen";
import { BankScreen } from "./BankScreen";
import { ExamForm } from "./ExamForm";
import { ExamList } from "./ExamList";
import { tr } from "./i18n";
import { ResultsScreen } from "./ResultsScreen";
import { RosterScreen } from "./RosterScreen";
import { SlotsScreen } from "./SlotsScreen";
import { StaffScreen } from "./StaffScreen";
import { UsageScreen } from "./UsageScreen";
import { useLoad } from "./ui";
import "../proctor/console.css";
import "./admin.css";

export type AdminTab = "exams" | "bank" | "roster" | "slots" | "results" | "staff" | "audit" | "usage";
const EXAM_TABS: AdminTab[] = ["bank", "roster", "slots", "results"];

export function AdminApp({ auth, onLogout, onProctoring }: { auth: Auth; onLogout: () => void; onProctoring: () => void }) {
  useLang();
  const [tab, setTab] = useState<AdminTab>("exams");
  const [examId, setExamId] = useState("");
  const [editing, setEditing] = useState<Exam | "new" | null>(null);
  const [exams, reloadExams] = useLoad(() => adminApi.exams(), []);
  document.title = tr("admin.title");
  const list = exams.state === "ready" ? exams.data.exams : [];
  const go = (next: AdminTab, exam?: string) => {
    if (exam) setExamId(exam);
    setEditing(null);
    setTab(next);
  };
  const tabs: AdminTab[] = ["exams", "bank", "roster", "slots", "results", "staff", "audit", "usage"];
  return (
    <div class="pc ac">
      <a class="skip-link" href="#main">
        {tr("header.skip")}
      </a>
      <header class="header pc-header">
        <div class="pc-header__inner">
          <span class="header__title">{tr("admin.title")}</span>
          <nav aria-label={tr("admin.tab.label")} class="pc-tabs">
            {tabs.map((key) => (
              <button
                key={key}
                type="button"
                class="pc-tab"
                data-tab={key}
                aria-current={tab === key ? "page" : undefined}
                onClick={() => go(key)}
              >
                {tr(`admin.tab.${key}`)}
              </button>
            ))}
            <button type="button" class="pc-tab" data-console="proctor" onClick={onProctoring}>
              {tr("admin.tab.proctoring")}
            </button>
          </nav>
          <LanguageSwitch />
          <span class="header__user">
            {auth.full_name || auth.user_id} ({tr("roles.admin")}){" · "}
            <button type="button" class="linkish" id="logout" onClick={onLogout}>
              {tr("header.logout")}
            </button>
          </span>
        </div>
      </header>
      <main class="pc-main" id="main">
        {EXAM_TABS.includes(tab) && (
          <div class="pc-bar ac-exam-bar">
            <div class="pc-filter">
              <label for="admin-exam">{tr("admin.exam.choose")}</label>
              <select
                id="admin-exam"
                class="pc-select"
                value={examId}
                onChange={(e) => setExamId((e.target as HTMLSelectElement).value)}
              >
                <option value="">{tr("admin.exam.choose_none")}</option>
                {list.map((e) => (
                  <option key={e.exam_id} value={e.exam_id}>
                    {`${pick(e.title)} (${e.exam_id})`}
                  </option>
                ))}
              </select>
            </div>
          </div>
        )}
        {tab === "exams" && editing === null && (
          <ExamList exams={exams} reload={reloadExams} onNew={() => setEditing("new")} onEdit={setEditing} onGo={go} />
        )}
        {tab === "exams" && editing !== null && (
          <ExamForm
            exam={editing === "new" ? null : editing}
            onDone={(saved) => {
              setEditing(null);
              reloadExams();
              if (saved) setExamId(saved.exam_id);
            }}
          />
        )}
        {EXAM_TABS.includes(tab) && !examId && <p class="pc-muted">{tr("admin.exam.choose_first")}</p>}
        {tab === "bank" && examId && <BankScreen key={examId} examId={examId} onChanged={reloadExams} />}
        {tab === "roster" && examId && <RosterScreen key={examId} examId={examId} />}
        {tab === "slots" && examId && <SlotsScreen key={examId} examId={examId} />}
        {tab === "results" && examId && <ResultsScreen key={examId} examId={examId} />}
        {tab === "staff" && <StaffScreen exams={list} />}
        {tab === "audit" && <AuditScreen />}
        {tab === "usage" && <UsageScreen />}
      </main>
    </div>
  );
}
