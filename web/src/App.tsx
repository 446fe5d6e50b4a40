/** Who is signed in decides the app: candidates take exams; proctors get the proctor console; agency admins get the
 * admin console and may switch to proctoring; the platform operator gets the operator console. */
import { useState } from "preact/hooks";
import { AdminApp } from "./admin/AdminApp";
import { tr } from "./admin/i18n";
import { CandidateApp } from "./candidate/CandidateApp";
import { Login } from "./candidate/Login";
import { OperatorApp } from "./operator/OperatorApp";
import { ProctorApp } from "./proctor/ProctorApp";
import { type Auth, api, saveAuth, savedAuth } from "./shared/api/client";
import { useLang } from "./shared/i18n/i18n";
import { Layout } from "./shared/ui/Layout";

type AdminView = "admin" | "proctor";
const VIEW_KEY = "proctor.admin-view";

/** An admin starts where they were last (the proctor console until they open the admin console once). */
function savedView(): AdminView {
  try {
    return localStorage.getItem(VIEW_KEY) === "admin" ? "admin" : "proctor";
  } catch {
    return "proctor";
  }
}

export function App() {
  useLang();
  const [auth, setAuth] = useState<Auth | null>(savedAuth());
  const [view, setViewState] = useState<AdminView>(savedView);
  const setView = (next: AdminView) => {
    try {
      localStorage.setItem(VIEW_KEY, next);
    } catch {
      // the choice lasts for this page only
    }
    setViewState(next);
  };
  const logout = () => {
    void api.logout().catch(() => undefined); // ends every token of this user on the server; offline: expiry does
    saveAuth(null);
    sessionStorage.removeItem("proctor.sitting");
    setAuth(null);
  };
  if (!auth) {
    return (
      <Layout>
        <Login
          onLogin={(next) => {
            saveAuth(next);
            setAuth(next);
          }}
        />
      </Layout>
    );
  }
  const role: string = auth.role;
  if (role === "operator") return <OperatorApp auth={auth} onLogout={logout} />;
  if (role === "admin" && view === "admin")
    return <AdminApp auth={auth} onLogout={logout} onProctoring={() => setView("proctor")} />;
  if (role === "admin" || role === "proctor") {
    return (
      <>
        <ProctorApp auth={auth} onLogout={logout} />
        {role === "admin" && (
          <button type="button" class="button button--primary ac-switch" data-console="admin" onClick={() => setView("admin")}>
            {tr("admin.switch_to_admin")}
          </button>
        )}
      </>
    );
  }
  return <CandidateApp auth={auth} onLogout={logout} />;
}
