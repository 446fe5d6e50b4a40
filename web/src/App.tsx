/** Who is signed in decides the app: candidates take exams; proctors and agency admins get the proctor console. */
import { useState } from "preact/hooks";
import { CandidateApp } from "./candidate/CandidateApp";
import { Login } from "./candidate/Login";
import { ProctorApp } from "./proctor/ProctorApp";
import { type Auth, api, saveAuth, savedAuth } from "./shared/api/client";
import { useLang } from "./shared/i18n/i18n";
import { Layout } from "./shared/ui/Layout";

export function App() {
  useLang();
  const [auth, setAuth] = useState<Auth | null>(savedAuth());
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
  if (auth.role !== "candidate") {
    return <ProctorApp auth={auth} onLogout={logout} />;
  }
  return <CandidateApp auth={auth} onLogout={logout} />;
}
