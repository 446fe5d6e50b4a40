/** The few building blocks every screen uses, after the GOV.UK Design System's patterns. */
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { t } from "../i18n/i18n";

export function Button(
  props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "secondary" | "warning"; busy?: boolean },
) {
  const { variant = "primary", busy, children, class: cls, ...rest } = props;
  return (
    <button
      type="button"
      class={`button button--${variant} ${cls ?? ""}`}
      aria-busy={busy ? "true" : undefined}
      disabled={busy || rest.disabled}
      {...rest}
    >
      {children}
    </button>
  );
}

/** A page's heading gets focus on arrival, so screen readers and keyboards start at the top of the new page. */
export function Heading({ children, caption }: { children: ComponentChildren; caption?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => ref.current?.focus(), []); // before the next key press can land elsewhere
  return (
    <>
      {caption && <span class="caption">{caption}</span>}
      <h1 class="heading-l" tabIndex={-1} ref={ref}>
        {children}
      </h1>
    </>
  );
}

/** Errors at the top of the page, each linking to its field; focused when shown. */
export function ErrorSummary({ errors }: { errors: { field?: string; text: string }[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (errors.length) ref.current?.focus();
  }, [errors.map((e) => e.text).join("|")]);
  if (!errors.length) return null;
  return (
    <div class="error-summary" role="alert" tabIndex={-1} ref={ref} aria-labelledby="error-summary-title">
      <h2 class="heading-m" id="error-summary-title">
        {t("common.there_is_a_problem")}
      </h2>
      <ul>
        {errors.map((e) => (
          <li key={e.text}>{e.field ? <a href={`#${e.field}`}>{e.text}</a> : e.text}</li>
        ))}
      </ul>
    </div>
  );
}

export function Notice({
  kind = "info",
  title,
  children,
  live,
}: {
  kind?: "info" | "success" | "warning" | "error";
  title?: string;
  children?: ComponentChildren;
  live?: boolean;
}) {
  return (
    <div class={`notice notice--${kind}`} role={live ? (kind === "error" ? "alert" : "status") : undefined}>
      {title && <p class="notice__title">{title}</p>}
      {children}
    </div>
  );
}

export type TagKind = "grey" | "blue" | "green" | "red" | "yellow";

/** A status shown as text in a coloured box (never colour alone). */
export function Tag({ kind, children }: { kind: TagKind; children: ComponentChildren }) {
  return <strong class={`tag tag--${kind}`}>{children}</strong>;
}

/** A modal dialog: focus moves in, Tab cycles inside, Escape closes, focus returns to where it was. */
export function Dialog({
  title,
  children,
  onClose,
  labelledBy = "dialog-title",
  opaque,
}: {
  title: string;
  children: ComponentChildren;
  onClose?: () => void;
  labelledBy?: string;
  /** Hide what is behind completely (the test while the screen is not shared). */
  opaque?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const focusables = () =>
      [...(ref.current?.querySelectorAll<HTMLElement>("button, a[href], input, [tabindex='0']") ?? [])].filter(
        (el) => !(el as HTMLButtonElement).disabled,
      );
    focusables()[0]?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && onClose) {
        e.preventDefault();
        onClose();
      } else if (e.key === "Tab") {
        const items = focusables();
        if (!items.length) return;
        const first = items[0];
        const last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div class={`overlay ${opaque ? "overlay--opaque" : ""}`}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={labelledBy} ref={ref}>
        <h2 class="heading-m" id={labelledBy}>
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}

/** Numbered steps to fix a problem; the last step is always to restart the computer. */
export function FixIt({ title, steps, onRetry }: { title: string; steps: string[]; onRetry?: () => void }) {
  return (
    <div class="fixit" role="alert">
      <p class="notice__title">{title}</p>
      <ol class="list list--number">
        {[...steps, t("fix.restart")].map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      {onRetry && (
        <Button variant="secondary" onClick={onRetry}>
          {t("common.retry")}
        </Button>
      )}
    </div>
  );
}
