/** The test: one block's items, an item map, flags, the server's countdown and autosave through the outbox. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../shared/api/client";
import type { SessionStatusView } from "../shared/api/types";
import { errorText, pick, t, useLang } from "../shared/i18n/i18n";
import { shareWholeScreen, ScreenShareError } from "../shared/media/screen";
import type { OutboxState } from "../shared/outbox/outbox";
import { announcement } from "../shared/timer";
import { Button, Dialog, Notice } from "../shared/ui/components";
import { Layout } from "../shared/ui/Layout";
import type { ChannelSnapshot } from "./channel";
import { ChannelLive, ChatPanel, ChatToggle, PauseOverlay, WarningBanners, useChannel } from "./Channel";
import { FIXITS } from "./fixits";
import { ItemMap, TestBar } from "./TestParts";
import { requestFullscreen } from "./ScreenShare";
import { type Sitting, rememberSitting } from "./sitting";

const flagKey = (sessionId: string) => `proctor.flags.${sessionId}`;

function loadFlags(sessionId: string): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(flagKey(sessionId)) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

export function TestScreen({
  sitting,
  blockId,
  onBlocks,
  onFinished,
  onOtherClient,
  onTerminated,
}: {
  sitting: Sitting;
  blockId: string | null;
  onBlocks: () => void;
  onFinished: () => void;
  onOtherClient: () => void;
  /** A proctor ended the test: monitoring stops and the termination screen shows the reason. */
  onTerminated: (reason: string) => void;
}) {
  useLang();
  const session = sitting.session!;
  const box = sitting.outbox!;
  const countdown = sitting.countdown!;
  const blocks = session.blocks ?? [];
  const block = blocks.find((b) => b.block_id === blockId) ?? (blocks.length > 1 ? blocks[0] : undefined);
  const items = useMemo(
    () => (block && blocks.length > 1 ? session.items.filter((i) => i.block_id === block.block_id) : session.items),
    [block?.block_id],
  );
  const [index, setIndex] = useState(0);
  const [answers, setAnswers] = useState<Record<string, string>>({ ...session.answers });
  const [flags, setFlags] = useState<Set<string>>(() => loadFlags(session.session_id));
  const [outboxState, setOutboxState] = useState<OutboxState>(box.state());
  const [remaining, setRemaining] = useState(countdown.remaining(performance.now()));
  const [spoken, setSpoken] = useState("");
  const [screenEnded, setScreenEnded] = useState(!sitting.screen?.getVideoTracks().some((x) => x.readyState === "live"));
  const [shareProblem, setShareProblem] = useState<string | null>(null);
  const [cameraEnded, setCameraEnded] = useState(false);
  const [fullscreenLeft, setFullscreenLeft] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [finishing, setFinishing] = useState<null | "sending" | "waiting">(null);
  const [finishError, setFinishError] = useState<(() => string) | null>(null);
  const finished = useRef(false);
  // While a proctor holds the session the server's timer stands still: the page shows the frozen time.
  const [paused, setPaused] = useState(false);
  const frozen = useRef<number | null>(null);
  const ended = useRef(false);
  const terminate = (reason: string | null | undefined) => {
    if (ended.current) return;
    ended.current = true;
    finished.current = true;
    sitting.monitor?.stop();
    sitting.channel?.stop();
    rememberSitting(null);
    onTerminated(reason ?? "");
  };
  const onControl = (snapshot: ChannelSnapshot) => {
    const control = snapshot.control;
    if (!control) return;
    if (control.terminated) {
      terminate(control.termination_reason);
      return;
    }
    if (control.paused) {
      frozen.current = control.remaining_s;
      setRemaining(control.remaining_s);
      setPaused(true);
    } else if (frozen.current !== null) {
      // Resumed: the deadline moved by the paused time; take the server's remaining time and send what waited.
      frozen.current = null;
      countdown.sync(control.remaining_s, snapshot.sentAt, snapshot.receivedAt);
      setRemaining(countdown.remaining(performance.now()));
      setPaused(false);
      void box.kick();
    }
  };
  const channel = useChannel(sitting, onControl);
  const item = items[Math.min(index, items.length - 1)];
  const itemHeading = useRef<HTMLHeadingElement>(null);
  // Each question is a new "page" for a screen reader: its heading takes the focus.
  useEffect(() => itemHeading.current?.focus(), [index]);

  const finish = async () => {
    if (finished.current) return;
    finished.current = true;
    setConfirming(false);
    setFinishing("sending");
    setFinishError(null);
    // Answers still in the outbox go first: submitting before them would score without them.
    const waiting = () => Object.keys(box.pendingAnswers(session.session_id)).length;
    for (let second = 0; waiting() && second < 600; second++) {
      await box.kick();
      if (waiting()) {
        setFinishing("waiting");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    try {
      sitting.final = await api.submit(session.session_id);
      if (sitting.final.terminated) {
        terminate(sitting.final.termination_reason);
        return;
      }
    } catch (error) {
      if (error instanceof ApiError && error.code === "session.terminated") {
        terminate((await api.session(session.session_id).catch(() => undefined))?.termination_reason);
        return;
      }
      if (error instanceof ApiError && error.code === "session.not_in_progress") {
        sitting.final = await api.session(session.session_id).catch(() => undefined);
        if (sitting.final?.terminated) {
          terminate(sitting.final.termination_reason);
          return;
        }
      } else {
        finished.current = false;
        setFinishing(null);
        setFinishError(() => () => errorText(error));
        return;
      }
    }
    sitting.monitor?.stop();
    rememberSitting(null);
    onFinished();
  };

  useEffect(() => {
    sitting.relay = {
      onHeartbeat: (status: SessionStatusView, sent: number, received: number) => {
        if (status.terminated) return terminate(status.termination_reason);
        countdown.sync(status.remaining_s, sent, received);
        if (status.paused) frozen.current = status.remaining_s;
        if (status.status !== "in_progress") void finish();
      },
      onOtherClient,
      onScreenEnded: () => setScreenEnded(true),
      onCameraEnded: () => setCameraEnded(true),
      onFullscreenExit: () => setFullscreenLeft(true),
    };
    const unsubscribe = box.subscribe(setOutboxState);
    let previous = countdown.remaining(performance.now());
    const timer = window.setInterval(() => {
      if (frozen.current !== null) {
        setRemaining(frozen.current);
        previous = frozen.current;
        return;
      }
      const now = countdown.remaining(performance.now());
      setRemaining(now);
      const minutes = announcement(previous, now);
      if (minutes !== null) {
        setSpoken(minutes < 1 ? t("test.timer_30s") : t("test.timer_minutes", { n: minutes }));
      }
      previous = now;
      if (now === 0) void finish();
    }, 250);
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }, []);

  const choose = (itemId: string, optionId: string) => {
    setAnswers((prev) => ({ ...prev, [itemId]: optionId }));
    void box.addAnswer(session.session_id, { itemId, optionId }).then(() => box.flush());
    session.answers[itemId] = optionId;
  };
  const toggleFlag = (itemId: string) => {
    const next = new Set(flags);
    if (next.has(itemId)) next.delete(itemId);
    else next.add(itemId);
    setFlags(next);
    localStorage.setItem(flagKey(session.session_id), JSON.stringify([...next]));
  };
  const reshare = async () => {
    setShareProblem(null);
    try {
      const stream = await shareWholeScreen();
      sitting.screen = stream;
      sitting.monitor?.setScreen(stream);
      setScreenEnded(false);
    } catch (error) {
      setShareProblem(error instanceof ScreenShareError ? `screen.${error.problem}` : "screen.failed");
    }
  };

  const unanswered = session.items.filter((i) => !answers[i.item_id]).length;
  const flagged = session.items.filter((i) => flags.has(i.item_id)).length;
  const fixit = shareProblem ? FIXITS[shareProblem] : null;

  return (
    <Layout>
      <TestBar
        remaining={remaining}
        spoken={spoken}
        answered={session.items.length - unanswered}
        total={session.items.length}
        outbox={outboxState}
      >
        <ChatToggle channel={channel} />
      </TestBar>
      <ChannelLive channel={channel} />
      <WarningBanners channel={channel} />
      {cameraEnded && <Notice kind="error" title={t("test.camera_ended")} live />}
      {fullscreenLeft && (
        <Notice kind="warning" title={t("test.fullscreen_left")}>
          <Button
            variant="secondary"
            onClick={() => {
              requestFullscreen();
              setFullscreenLeft(false);
            }}
          >
            {t("test.fullscreen_return")}
          </Button>
        </Notice>
      )}
      {finishError && <Notice kind="error" title={finishError()} live />}
      <div class={`test-layout ${channel.panelOpen ? "test-layout--panel" : ""}`}>
        <nav aria-labelledby="map-title">
          <h2 class="heading-s" id="map-title">
            {block && blocks.length > 1 ? pick(block.title) : t("test.questions")}
          </h2>
          <ItemMap items={items} answers={answers} flags={flags} current={index} onOpen={setIndex} />
          <p class="legend">{t("test.map_legend")}</p>
          {blocks.length > 1 && (
            <Button variant="secondary" onClick={onBlocks} id="to-blocks">
              {t("test.to_blocks")}
            </Button>
          )}
          <Button variant="warning" onClick={() => setConfirming(true)} id="finish" busy={finishing !== null}>
            {t("test.finish")}
          </Button>
        </nav>
        {item && (
          <section aria-labelledby="item-title">
            <h1 class="caption" id="item-title" tabIndex={-1} ref={itemHeading}>
              {t("test.item_of", { n: index + 1, total: items.length })}
            </h1>
            <form onSubmit={(e) => e.preventDefault()}>
              <fieldset class="radios">
                <legend class="item-text">{pick(item.text)}</legend>
                {item.options.map((option) => (
                  <label class="radio" key={option.option_id}>
                    <input
                      type="radio"
                      name={`item-${item.item_id}`}
                      value={option.option_id}
                      checked={answers[item.item_id] === option.option_id}
                      onChange={() => choose(item.item_id, option.option_id)}
                    />
                    <span>{pick(option.text)}</span>
                  </label>
                ))}
              </fieldset>
              <label class="checkbox">
                <input type="checkbox" checked={flags.has(item.item_id)} onChange={() => toggleFlag(item.item_id)} />
                <span>{t("test.flag")}</span>
              </label>
              <div class="nav-row">
                <Button variant="secondary" disabled={index === 0} onClick={() => setIndex(index - 1)} id="prev">
                  {t("test.previous")}
                </Button>
                <Button disabled={index >= items.length - 1} onClick={() => setIndex(index + 1)} id="next">
                  {t("test.next")}
                </Button>
              </div>
            </form>
          </section>
        )}
        {channel.panelOpen && <ChatPanel channel={channel} />}
      </div>
      {paused && !finishing && <PauseOverlay channel={channel} remaining={remaining} />}
      {confirming && (
        <Dialog title={t("finish.title")} onClose={() => setConfirming(false)}>
          <p>{t("finish.unanswered", { n: unanswered })}</p>
          <p>{t("finish.flagged", { n: flagged })}</p>
          <p>{t("finish.question")}</p>
          <Button onClick={() => void finish()} id="finish-yes">
            {t("common.yes")}
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(false)} id="finish-no">
            {t("common.no")}
          </Button>
        </Dialog>
      )}
      {finishing && (
        <Dialog title={t("finish.sending")}>
          <p role="status">{finishing === "waiting" ? t("finish.waiting", { n: outboxState.pendingAnswers }) : t("common.loading")}</p>
        </Dialog>
      )}
      {screenEnded && !finishing && (
        <Dialog title={t("test.screen_ended_title")} labelledBy="screen-ended-title" opaque>
          <p>{t("test.screen_ended_body")}</p>
          {fixit && <p class="error-message">{t(fixit.title)}</p>}
          <Button onClick={() => void reshare()} id="reshare">
            {t("test.screen_reshare")}
          </Button>
        </Dialog>
      )}
    </Layout>
  );
}
