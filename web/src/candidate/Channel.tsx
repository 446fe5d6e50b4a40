/**
 * The proctor's side of the test, as the candidate sees it: warning banners to acknowledge, the pause overlay,
 * and the collapsible "Chat & log" panel (the conversation, a box to write to the proctor, the violations so far).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api } from "../shared/api/client";
import type { ChannelMessage, OwnViolation, SessionControl } from "../shared/api/types";
import { errorText, t, useLang } from "../shared/i18n/i18n";
import { formatClock } from "../shared/timer";
import { Button } from "../shared/ui/components";
import { type ChannelSnapshot, InboxPoller, countsKey, fromProctor, openWarnings, pauseText, unreadCount } from "./channel";
import "./channel.css";
import type { Sitting } from "./sitting";

const PANEL_KEY = "proctor.chat_open";
const TIME_ZONE = "Asia/Almaty";

/** "13:05" in Kazakhstan's time (the same in the three languages). */
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TIME_ZONE })
    .format(new Date(iso));
}

export interface ChannelView {
  messages: ChannelMessage[];
  control: SessionControl | null;
  violations: OwnViolation[] | null;
  unread: number;
  /** The newest proctor message, for the polite live region. */
  spoken: string;
  panelOpen: boolean;
  setPanelOpen: (open: boolean) => void;
  acknowledged: Set<string>;
  acknowledge: (id: string) => Promise<void>;
  ackError: string | null;
  send: (text: string) => Promise<boolean>;
}

/**
 * The channel for the test screen: starts the sitting's poller (kept across blocks, stopped with the monitor),
 * listens to it, and tells the screen about the control state (pause, resume, termination).
 */
export function useChannel(sitting: Sitting, onControl: (snapshot: ChannelSnapshot) => void): ChannelView {
  const sessionId = sitting.session!.session_id;
  if (!sitting.channel || sitting.channel.sessionId !== sessionId) {
    sitting.channel?.stop();
    sitting.channel = new InboxPoller(sessionId);
  }
  const poller = sitting.channel;
  const [snapshot, setSnapshot] = useState<ChannelSnapshot | null>(poller.last);
  const [violations, setViolations] = useState<OwnViolation[] | null>(null);
  const [panelOpen, setOpen] = useState(() => sessionStorage.getItem(PANEL_KEY) === "1");
  const [spoken, setSpoken] = useState("");
  const [acknowledged, setAcknowledged] = useState<Set<string>>(new Set());
  const [ackError, setAckError] = useState<string | null>(null);
  const [read, setRead] = useState(poller.read);
  const control = useRef(onControl);
  control.current = onControl;
  const open = useRef(panelOpen);
  open.current = panelOpen;

  useEffect(() => {
    poller.listener = (next) => {
      setSnapshot(next);
      const said = next.arrived.filter((m) => m.kind === "chat");
      if (said.length) setSpoken(t("chat.new_from_proctor", { text: said[said.length - 1].text }));
      if (open.current) {
        poller.markRead();
        setRead(poller.read);
      }
      control.current(next);
    };
    poller.start();
    if (poller.last) control.current(poller.last);
    return () => {
      poller.listener = null;
    };
  }, [poller]);

  const key = countsKey(snapshot?.control?.violation_counts);
  useEffect(() => {
    if (!snapshot?.control) return;
    let live = true;
    api
      .violations(sessionId)
      .then((answer) => live && setViolations(answer.violations))
      .catch(() => undefined); // the next change of the counts tries again
    return () => {
      live = false;
    };
  }, [key, snapshot?.control ? 1 : 0]);

  const setPanelOpen = (next: boolean) => {
    setOpen(next);
    sessionStorage.setItem(PANEL_KEY, next ? "1" : "0");
    if (next) {
      poller.markRead();
      setRead(poller.read);
    }
  };

  const acknowledge = async (id: string) => {
    setAckError(null);
    try {
      const { message } = await api.acknowledge(sessionId, id);
      setAcknowledged((prev) => new Set(prev).add(id));
      poller.add(message);
      setSnapshot(poller.last);
    } catch (error) {
      setAckError(errorText(error));
    }
  };

  const send = async (text: string): Promise<boolean> => {
    const { message } = await api.chat(sessionId, text);
    poller.add(message);
    setSnapshot(poller.last);
    return true;
  };

  const messages = snapshot?.messages ?? [];
  return {
    messages,
    control: snapshot?.control ?? null,
    violations,
    unread: panelOpen ? 0 : unreadCount(messages, read),
    spoken,
    panelOpen,
    setPanelOpen,
    acknowledged,
    acknowledge,
    ackError,
    send,
  };
}

/** The proctor's warnings still to acknowledge: a calm, prominent alert in the candidate's language frame. */
export function WarningBanners({ channel }: { channel: ChannelView }) {
  useLang();
  const warnings = openWarnings(channel.messages, channel.acknowledged);
  const [busy, setBusy] = useState<string | null>(null);
  if (!warnings.length) return null;
  return (
    <>
      {warnings.map((warning) => (
        <div class="proctor-warning" role="alert" key={warning.message_id} data-testid="proctor-warning">
          <p class="proctor-warning__title">
            <span class="proctor-warning__icon" aria-hidden="true">
              !
            </span>
            {t("warning.title")}
            <span class="proctor-warning__time">{formatTime(warning.created_at)}</span>
          </p>
          <p class="proctor-warning__text" data-testid="proctor-warning-text">
            {warning.text}
          </p>
          <p class="proctor-warning__note">{t("warning.note")}</p>
          {channel.ackError && <p class="error-message">{channel.ackError}</p>}
          <Button
            variant="secondary"
            busy={busy === warning.message_id}
            data-testid="warning-ack"
            onClick={async () => {
              setBusy(warning.message_id);
              await channel.acknowledge(warning.message_id);
              setBusy(null);
            }}
          >
            {t("warning.understood")}
          </Button>
        </div>
      ))}
    </>
  );
}

/** While the proctor holds the session: the test is covered, the time stands still, the answers wait. */
export function PauseOverlay({ channel, remaining }: { channel: ChannelView; remaining: number }) {
  useLang();
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    heading.current?.focus();
    // Nothing behind the overlay may take the keyboard (an arrow key on a radio would change an answer).
    const keep = (e: KeyboardEvent) => {
      const inside = heading.current?.closest(".overlay")?.contains(e.target as Node);
      if (e.key === "Tab" || !inside) {
        e.preventDefault();
        heading.current?.focus();
      }
    };
    document.addEventListener("keydown", keep, true);
    return () => {
      document.removeEventListener("keydown", keep, true);
      before?.focus?.();
    };
  }, []);
  const text = pauseText(channel.messages);
  return (
    <div class="overlay overlay--pause">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="pause-title" data-testid="pause-overlay">
        <h2 class="heading-m" id="pause-title" tabIndex={-1} ref={heading}>
          {t("pause.title")}
        </h2>
        {text && (
          <div class="proctor-quote">
            <p class="proctor-quote__label">{t("pause.message_label")}</p>
            <p class="proctor-quote__text" data-testid="pause-text">
              {text}
            </p>
          </div>
        )}
        <p>
          {t("pause.timer_stopped")}{" "}
          <strong class="timer-inline" data-testid="pause-remaining">
            {formatClock(remaining)}
          </strong>
        </p>
        <p>{t("pause.answers_wait")}</p>
        <p class="body-s">{t("pause.wait")}</p>
      </div>
    </div>
  );
}

/** The toggle in the test bar: "Chat & log", with the unread count when collapsed. */
export function ChatToggle({ channel }: { channel: ChannelView }) {
  useLang();
  return (
    <button
      type="button"
      class="chat-toggle"
      id="chat-toggle"
      aria-expanded={channel.panelOpen ? "true" : "false"}
      aria-controls="chat-panel"
      onClick={() => {
        const opening = !channel.panelOpen;
        channel.setPanelOpen(opening);
        if (opening) setTimeout(() => document.getElementById("chat-panel-title")?.focus(), 0);
      }}
    >
      {t("chat.toggle")}
      {channel.unread > 0 && (
        <span class="chat-toggle__badge" data-testid="chat-unread">
          <span aria-hidden="true">{channel.unread}</span>
          <span class="sr-only">{t("chat.unread", { n: channel.unread })}</span>
        </span>
      )}
    </button>
  );
}

function kindLabel(message: ChannelMessage): string | null {
  switch (message.kind) {
    case "warning":
      return t("chat.kind.warning");
    case "pause":
      return t("chat.kind.pause");
    case "resume":
      return t("chat.kind.resume");
    case "terminate":
      return t("chat.kind.terminate");
    default:
      return null;
  }
}

const SEVERITY: Record<string, string> = { low: "log.severity.low", medium: "log.severity.medium", high: "log.severity.high" };
const VIOLATION: Record<string, string> = {
  no_face: "log.type.no_face",
  multiple_faces: "log.type.multiple_faces",
  face_mismatch: "log.type.face_mismatch",
  face_covered: "log.type.face_covered",
  looking_away: "log.type.looking_away",
  poor_lighting: "log.type.poor_lighting",
  speech_detected: "log.type.speech_detected",
  tab_hidden: "log.type.tab_hidden",
  window_blur: "log.type.window_blur",
  fullscreen_exit: "log.type.fullscreen_exit",
  copy: "log.type.copy",
  cut: "log.type.cut",
  paste: "log.type.paste",
  context_menu: "log.type.context_menu",
  second_screen: "log.type.second_screen",
  screen_share_ended: "log.type.screen_share_ended",
  camera_ended: "log.type.camera_ended",
  microphone_ended: "log.type.microphone_ended",
  microphone_muted: "log.type.microphone_muted",
  second_client: "log.type.second_client",
  camera_missing: "log.type.camera_missing",
  audio_missing: "log.type.audio_missing",
  media_rejected: "log.type.media_rejected",
  media_reupload: "log.type.media_reupload",
};

export function violationName(type: string): string {
  return VIOLATION[type] ? t(VIOLATION[type]) : t("log.type.other");
}

/** The side panel: the conversation and the log of violations, as tabs; Escape closes it. */
export function ChatPanel({ channel }: { channel: ChannelView }) {
  useLang();
  const [tab, setTab] = useState<"chat" | "log">("chat");
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const shown = channel.messages.filter((m) => m.kind !== "note");
  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [shown.length, tab]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = text.trim();
    if (!value) {
      setError(t("chat.empty"));
      return;
    }
    setSending(true);
    setError(null);
    try {
      await channel.send(value);
      setText("");
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setSending(false);
    }
  };
  const close = () => {
    channel.setPanelOpen(false);
    document.getElementById("chat-toggle")?.focus();
  };
  const tabKeys = (e: KeyboardEvent) => {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      e.preventDefault();
      const next = tab === "chat" ? "log" : "chat";
      setTab(next);
      document.getElementById(`chat-tab-${next}`)?.focus();
    }
  };

  return (
    <aside
      class="chat-panel"
      id="chat-panel"
      aria-labelledby="chat-panel-title"
      onKeyDown={(e) => {
        if (e.key === "Escape") close();
      }}
    >
      <div class="chat-panel__head">
        <h2 class="heading-s" id="chat-panel-title" tabIndex={-1}>
          {t("chat.title")}
        </h2>
        <button type="button" class="linkish" onClick={close} id="chat-close">
          {t("chat.close")}
        </button>
      </div>
      <div class="chat-tabs" role="tablist" aria-labelledby="chat-panel-title">
        {(["chat", "log"] as const).map((name) => (
          <button
            type="button"
            role="tab"
            key={name}
            id={`chat-tab-${name}`}
            aria-selected={tab === name ? "true" : "false"}
            aria-controls={`chat-tabpanel-${name}`}
            tabIndex={tab === name ? 0 : -1}
            onClick={() => setTab(name)}
            onKeyDown={tabKeys}
          >
            {name === "chat" ? t("chat.tab_chat") : t("chat.tab_log")}
          </button>
        ))}
      </div>
      {tab === "chat" ? (
        <div class="chat-tabpanel" role="tabpanel" id="chat-tabpanel-chat" aria-labelledby="chat-tab-chat">
          {shown.length === 0 ? (
            <p class="body-s chat-empty">{t("chat.none")}</p>
          ) : (
            <ol class="chat-list" ref={list} tabIndex={0} aria-label={t("chat.conversation")} data-testid="chat-list">
              {shown.map((m) => {
                const mine = !fromProctor(m);
                const label = kindLabel(m);
                return (
                  <li key={m.message_id} class={`chat-msg ${mine ? "chat-msg--mine" : ""} chat-msg--${m.kind}`}>
                    <p class="chat-msg__meta">
                      <strong>{mine ? t("chat.you") : t("chat.proctor")}</strong>
                      {label && <> · {label}</>} · <time dateTime={m.created_at}>{formatTime(m.created_at)}</time>
                    </p>
                    {m.text && <p class="chat-msg__text">{m.text}</p>}
                  </li>
                );
              })}
            </ol>
          )}
          <form class="chat-form" onSubmit={(e) => void submit(e)} noValidate>
            <label class="label" for="chat-text">
              {t("chat.write_label")}
            </label>
            {error && (
              <p class="error-message" id="chat-error">
                {error}
              </p>
            )}
            <textarea
              class="input chat-input"
              id="chat-text"
              rows={2}
              maxLength={2000}
              value={text}
              aria-describedby={error ? "chat-error" : undefined}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit(e);
              }}
            />
            <Button type="submit" busy={sending} id="chat-send" variant="secondary">
              {t("chat.send")}
            </Button>
          </form>
        </div>
      ) : (
        <div class="chat-tabpanel" role="tabpanel" id="chat-tabpanel-log" aria-labelledby="chat-tab-log">
          <p class="body-s">{t("log.intro")}</p>
          {channel.violations === null ? (
            <p role="status">{t("common.loading")}</p>
          ) : channel.violations.length === 0 ? (
            <p>{t("log.none")}</p>
          ) : (
            <ol class="log-list" data-testid="violation-log" tabIndex={0} aria-label={t("chat.tab_log")}>
              {[...channel.violations].reverse().map((v, i) => (
                <li key={`${v.occurred_at}-${v.type}-${i}`} data-type={v.type}>
                  <span class="log-list__name">{violationName(v.type)}</span>
                  <span class="body-s">
                    <time dateTime={v.occurred_at}>{formatTime(v.occurred_at)}</time>
                    {" · "}
                    {SEVERITY[v.severity] ? t(SEVERITY[v.severity]) : v.severity}
                  </span>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </aside>
  );
}

/** Read by screen readers politely when the proctor writes (the panel may be collapsed). */
export function ChannelLive({ channel }: { channel: ChannelView }) {
  return (
    <div class="sr-only" aria-live="polite" data-testid="chat-live">
      {channel.spoken}
    </div>
  );
}
