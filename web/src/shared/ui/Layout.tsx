import type { ComponentChildren } from "preact";
import type { Lang } from "../api/types";
import { LANGS, setLang, t, useLang } from "../i18n/i18n";

const NATIVE: Record<Lang, string> = { kk: "Қазақша", ru: "Русский", en: "English" };

export function LanguageSwitch({ disabled }: { disabled?: boolean }) {
  const current = useLang();
  return (
    <nav aria-label={t("header.language")}>
      <ul class="lang-switch">
        {LANGS.map((code) => (
          <li key={code}>
            <button
              type="button"
              lang={code}
              aria-pressed={current === code ? "true" : "false"}
              disabled={disabled}
              onClick={() => setLang(code)}
            >
              {NATIVE[code]}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function Layout({
  user,
  onLogout,
  children,
  lockLanguage,
}: {
  user?: string;
  onLogout?: () => void;
  children: ComponentChildren;
  lockLanguage?: boolean;
}) {
  useLang();
  document.title = t("header.service");
  return (
    <>
      <a class="skip-link" href="#main">
        {t("header.skip")}
      </a>
      <header class="header">
        <div class="header__inner">
          <span class="header__title">{t("header.service")}</span>
          {!lockLanguage && <LanguageSwitch />}
          {user && (
            <span class="header__user">
              {user}
              {onLogout && (
                <>
                  {" · "}
                  <button type="button" class="linkish" onClick={onLogout}>
                    {t("header.logout")}
                  </button>
                </>
              )}
            </span>
          )}
        </div>
      </header>
      <main class="main" id="main">
        {children}
      </main>
      <footer class="footer">
        <div class="footer__inner">{t("footer.support")}</div>
      </footer>
    </>
  );
}
