/** Who is signed in decides the app: candidates take exams; proctor and admin consoles come later. */
import { useState } from "preact/hooks";
import { CandidateApp } from "./candidate/CandidateApp";
import { Login } from "./candidate/Login";
import { ConsoleComing } from "./shared/ConsoleComing";
import { type Auth, saveAuth, savedAuth } from "./shared/api/client";
import { t, useLang } from "./shared/i18n/i18n";
import { Layout } from "./shared/ui/Layout";

export function App() {
  useLang();
  const [auth, setAuth] = useState<Auth | null>(savedAuth());
  const logout = () => {
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
  if (auth.role !== "candidate") {
    return (
      <Layout user={auth.full_name || auth.user_id} onLogout={logout}>
        <ConsoleComing role={auth.role === "admin" ? t("roles.admin") : t("roles.proctor")} />
      </Layout>
    );
  }
  return <CandidateApp auth={auth} onLogout={logout} />;
}
