/** The platform operator's console: agencies (create with the first admin, edit, suspend), plans, statements. */
import { useState } from "preact/hooks";
import type { Auth } from "../shared/api/client";
import { useLang } from "../shared/i18n/i18n";
import { LanguageSwitch } from "../shared/ui/Layout";
import { AgencyForm } from "./AgencyForm";
import { AgencyList } from "./AgencyList";
import type { Agency } from "./api";
import { tr } from "./i18n";
import { PlanEditor } from "./PlanEditor";
import { StatementsScreen } from "./StatementsScreen";
import "../proctor/console.css";
import "../admin/admin.css";

type Tab = "agencies" | "statements";
type View = { kind: "list" } | { kind: "new" } | { kind: "edit"; agency: Agency } | { kind: "plan"; agency: Agency };

export function OperatorApp({ auth, onLogout }: { auth: Auth; onLogout: () => void }) {
  useLang();
  const [tab, setTab] = useState<Tab>("agencies");
  const [view, setView] = useState<View>({ kind: "list" });
  const [round, setRound] = useState(0);
  document.title = tr("operator.title");
  const back = (changed: boolean) => {
    setView({ kind: "list" });
    if (changed) setRound(round + 1);
  };
  return (
    <div class="pc ac">
      <a class="skip-link" href="#main">{tr("header.skip")}</a>
      <header class="header pc-header">
        <div class="pc-header__inner">
          <span class="header__title">{tr("operator.title")}</span>
          <nav aria-label={tr("operator.tab.label")} class="pc-tabs">
            {(["agencies", "statements"] as Tab[]).map((key) => (
              <button key={key} type="button" class="pc-tab" data-tab={key} aria-current={tab === key ? "page" : undefined} onClick={() => { setTab(key); setView({ kind: "list" }); }}>
                {tr(`operator.tab.${key}`)}
              </button>
            ))}
          </nav>
          <LanguageSwitch />
          <span class="header__user">
            {auth.full_name || auth.user_id} ({tr("operator.role")}){" · "}
            <button type="button" class="linkish" id="logout" onClick={onLogout}>{tr("header.logout")}</button>
          </span>
        </div>
      </header>
      <main class="pc-main" id="main">
        {tab === "agencies" && view.kind === "list" && (
          <AgencyList key={round} onNew={() => setView({ kind: "new" })} onEdit={(agency) => setView({ kind: "edit", agency })} onPlan={(agency) => setView({ kind: "plan", agency })} />
        )}
        {tab === "agencies" && view.kind === "new" && <AgencyForm agency={null} onDone={back} />}
        {tab === "agencies" && view.kind === "edit" && <AgencyForm agency={view.agency} onDone={back} />}
        {tab === "agencies" && view.kind === "plan" && <PlanEditor agency={view.agency} onDone={back} />}
        {tab === "statements" && <StatementsScreen />}
      </main>
    </div>
  );
}
