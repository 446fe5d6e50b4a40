/**
 * Share the whole screen, then start (or resume) the session and its monitoring. Also the way back in after F5:
 * the camera and microphone reopen without a prompt, the screen share needs the candidate's click.
 */
import { useState } from "preact/hooks";
import { ApiError, api } from "../shared/api/client";
import { errorText, lang, pick, t } from "../shared/i18n/i18n";
import { MediaAccessError, openCamera, openMicrophone, stopStream } from "../shared/media/camera";
import { ScreenShareError, shareWholeScreen } from "../shared/media/screen";
import { outbox } from "../shared/outbox";
import { Countdown } from "../shared/timer";
import { Button, FixIt, Heading, Notice } from "../shared/ui/components";
import { FIXITS } from "./fixits";
import { Monitor, type MonitorCallbacks, clientId } from "./monitoring";
import { type Sitting, rememberSitting } from "./sitting";

export function requestFullscreen(): void {
  if (!document.fullscreenElement) void document.documentElement.requestFullscreen?.().catch(() => undefined);
}

function live(stream: MediaStream | null, kind: "video" | "audio"): boolean {
  return !!stream?.getTracks().some((track) => track.kind === kind && track.readyState === "live");
}

export function ScreenShare({
  sitting,
  onReady,
  onOtherClient,
}: {
  sitting: Sitting;
  onReady: () => void;
  onOtherClient: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ fixit?: string; text?: () => string } | null>(null);
  const resuming = sitting.exam.session?.status === "in_progress";

  const share = async () => {
    setBusy(true);
    setProblem(null);
    requestFullscreen(); // while the click still counts as a user gesture
    try {
      if (!live(sitting.camera, "video")) sitting.camera = await openCamera().catch(rethrowAs("camera"));
      if (!live(sitting.microphone, "audio"))
        sitting.microphone = await openMicrophone().catch(rethrowAs("microphone"));
      if (!live(sitting.screen, "video")) sitting.screen = await shareWholeScreen();
      const box = await outbox();
      const sent = performance.now();
      const session = await api.startSession(sitting.exam.exam_id, lang());
      sitting.countdown = new Countdown(session.remaining_s, sent, performance.now());
      session.answers = { ...session.answers, ...box.pendingAnswers(session.session_id) };
      sitting.session = session;
      sitting.outbox = box;
      // The sitting's claim on the session (a second client is refused here); the monitor takes this answer as
      // its first beat instead of sending another one at once.
      const claimSent = performance.now();
      const claim = await api.heartbeat(session.session_id, clientId());
      const first = { status: claim, sentMs: claimSent, receivedMs: performance.now() };
      const relay = (name: keyof MonitorCallbacks) =>
        ((...args: unknown[]) => (sitting.relay?.[name] as (...a: unknown[]) => void)?.(...args)) as never;
      sitting.monitor?.stop();
      sitting.monitor = new Monitor(
        session.session_id,
        session.monitoring,
        { camera: sitting.camera!, microphone: sitting.microphone!, screen: sitting.screen },
        box,
        session.server_time,
        {
          onHeartbeat: relay("onHeartbeat"),
          onOtherClient: relay("onOtherClient"),
          onScreenEnded: relay("onScreenEnded"),
          onCameraEnded: relay("onCameraEnded"),
          onFullscreenExit: relay("onFullscreenExit"),
        },
      );
      await sitting.monitor.start(first);
      rememberSitting(sitting.exam.exam_id);
      onReady();
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.code === "session.other_client_active") {
        stopStream(sitting.screen);
        sitting.screen = null;
        onOtherClient();
      } else if (error instanceof TaggedMediaError) setProblem({ fixit: `${error.device}.${error.problem}` });
      else if (error instanceof ScreenShareError) setProblem({ fixit: `screen.${error.problem}` });
      else setProblem({ text: () => errorText(error) });
    }
  };

  const fixit = problem?.fixit ? FIXITS[problem.fixit] : null;
  return (
    <div class="narrow">
      <Heading caption={pick(sitting.exam.title)}>{t("share.title")}</Heading>
      {resuming && (
        <Notice kind="info" title={t("share.resume_title")}>
          <p>{t("share.resume_body")}</p>
        </Notice>
      )}
      <ol class="list list--number">
        <li>{t("share.step_button")}</li>
        <li>{t("share.step_entire")}</li>
        <li>{t("share.step_share")}</li>
        <li>{t("share.step_keep")}</li>
      </ol>
      {fixit && <FixIt title={t(fixit.title)} steps={fixit.steps.map((k) => t(k))} />}
      {problem?.text && <FixIt title={problem.text()} steps={[]} />}
      <Button onClick={() => void share()} busy={busy} id="share-screen">
        {resuming ? t("share.resume_button") : t("share.button")}
      </Button>
    </div>
  );
}

class TaggedMediaError extends Error {
  constructor(
    readonly device: "camera" | "microphone",
    readonly problem: string,
  ) {
    super(problem);
  }
}

function rethrowAs(device: "camera" | "microphone") {
  return (error: unknown): never => {
    throw new TaggedMediaError(device, error instanceof MediaAccessError ? error.problem : "failed");
  };
}
