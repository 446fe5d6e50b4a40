/** Small pieces every admin screen uses: loading state, an action's pending/done/failed line, downloads. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { formatDateTime } from "../shared/i18n/i18n";
import { Tag } from "../shared/ui/components";
import { saveFile } from "./http";
import { adminError, tr } from "./i18n";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "failed"; error: unknown }
  | { state: "ready"; data: T };

/** Load on mount and when deps change; reload() fetches again and keeps the old data on screen meanwhile. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [value, setValue] = useState<Loaded<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setValue({ state: "ready", data }),
      (error) => live && setValue({ state: "failed", error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return [value, () => setRound((r) => r + 1)];
}

export function LoadState<T>({ value, children }: { value: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (value.state === "loading") return <p class="pc-muted" data-state="loading">{tr("admin.common.loading")}</p>;
  if (value.state === "failed")
    return (
      <p class="error-message" role="alert" data-state="failed">
        {adminError(value.error)}
      </p>
    );
  return <>{children(value.data)}</>;
}

export type Action = { state: "idle" } | { state: "pending" } | { state: "done"; text: () => string } | { state: "failed"; error: unknown };

/** Run an async action with its pending/done/failed state. */
export function useAction(): [Action, (run: () => Promise<() => string>) => Promise<void>, () => void] {
  const [action, setAction] = useState<Action>({ state: "idle" });
  const run = async (work: () => Promise<() => string>) => {
    setAction({ state: "pending" });
    try {
      const text = await work();
      setAction({ state: "done", text });
    } catch (error) {
      setAction({ state: "failed", error });
    }
  };
  return [action, run, () => setAction({ state: "idle" })];
}

export function ActionLine({ action, id }: { action: Action; id: string }) {
  return (
    <p class="pc-state ac-state" id={id} data-state={action.state} role="status" aria-live="polite">
      {action.state === "pending" && <span class="pc-muted">{tr("admin.common.working")}</span>}
      {action.state === "done" && <Tag kind="green">{action.text()}</Tag>}
      {action.state === "failed" && <span class="error-message">{adminError(action.error)}</span>}
    </p>
  );
}

export function when(iso: string | null | undefined): string {
  return iso ? formatDateTime(iso) : "—";
}

/** Download a file the API makes (CSV, XLSX, PDF), with its own pending/failed state. */
export function DownloadButton({
  id,
  label,
  file,
  name,
}: {
  id: string;
  label: string;
  file: () => Promise<Blob>;
  name: string;
}) {
  const [action, run] = useAction();
  return (
    <span class="ac-download">
      <button
        type="button"
        class="button button--secondary pc-small-button"
        id={id}
        aria-busy={action.state === "pending" ? "true" : undefined}
        disabled={action.state === "pending"}
        onClick={() =>
          run(async () => {
            saveFile(await file(), name);
            return () => tr("admin.common.downloaded");
          })
        }
      >
        {label}
      </button>
      <ActionLine action={action} id={`${id}-state`} />
    </span>
  );
}

/** `<input type="datetime-local">` value in Kazakhstan's time (UTC+5) ↔ ISO UTC. */
export function toLocalInput(iso: string): string {
  const d = new Date(Date.parse(iso) + 5 * 3600 * 1000);
  return d.toISOString().slice(0, 16);
}

export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  return new Date(Date.parse(`${value}:00+05:00`)).toISOString();
}

export function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`ac-field ${error ? "field--error" : ""}`}>
      <label for={id}>{label}</label>
      {hint && (
        <span class="hint ac-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span class="error-message" id={`${id}-error`}>
          {error}
        </span>
      )}
      {children}
    </div>
  );
}
