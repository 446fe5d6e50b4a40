/** The system check as a task list: each probe runs in turn with a live state; a failure shows its fix-it and a retry. */
import { useEffect, useRef, useState } from "preact/hooks";
import { AudioTap } from "../shared/media/audio";
import { MediaAccessError, openCamera, openMicrophone, stopStream } from "../shared/media/camera";
import { ScreenShareError, shareWholeScreen } from "../shared/media/screen";
import { errorText, formatNumber, pick, t } from "../shared/i18n/i18n";
import { Button, FixIt, Heading, Tag, type TagKind } from "../shared/ui/components";
import { TASKS, type TaskId, detectBrowser, measureUpload, privateWindow } from "./checks";
import { FIXITS } from "./fixits";
import type { Sitting } from "./sitting";

type TaskState = "todo" | "running" | "passed" | "failed" | "unknown";

const TAGS: Record<TaskState, [TagKind, string]> = {
  todo: ["grey", "check.state.todo"],
  running: ["blue", "check.state.running"],
  passed: ["green", "check.state.passed"],
  failed: ["red", "check.state.failed"],
  unknown: ["yellow", "check.state.unknown"],
};

interface Failure {
  fixit?: string;
  text?: () => string;
}

export function SystemCheck({ sitting, onNext }: { sitting: Sitting; onNext: () => void }) {
  const [states, setStates] = useState<Record<TaskId, TaskState>>(
    Object.fromEntries(TASKS.map((id) => [id, "todo"])) as Record<TaskId, TaskState>,
  );
  const [current, setCurrent] = useState<TaskId | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [detail, setDetail] = useState<Partial<Record<TaskId, () => string>>>({});
  const [level, setLevel] = useState(0);
  const tap = useRef<AudioTap | null>(null);
  const preview = useRef<HTMLVideoElement>(null);
  const started = current !== null || states.browser !== "todo";

  const set = (id: TaskId, state: TaskState) => setStates((prev) => ({ ...prev, [id]: state }));
  const note = (id: TaskId, text: () => string) => setDetail((prev) => ({ ...prev, [id]: text }));

  useEffect(() => {
    // Only when it changes: assigning the same stream again restarts the video (a black flash).
    if (preview.current && sitting.camera && preview.current.srcObject !== sitting.camera)
      preview.current.srcObject = sitting.camera;
  });
  useEffect(() => {
    let frame = 0;
    const loop = () => {
      if (tap.current) setLevel(tap.current.currentLevel());
      frame = requestAnimationFrame(loop);
    };
    frame = requestAnimationFrame(loop);
    return () => {
      cancelAnimationFrame(frame);
      tap.current?.stop();
    };
  }, []);

  /** Run one probe; true when the next may run. */
  const probe = async (id: TaskId): Promise<boolean> => {
    setCurrent(id);
    setFailure(null);
    set(id, "running");
    const fail = (fixit: string) => {
      set(id, "failed");
      setFailure({ fixit });
      return false;
    };
    try {
      switch (id) {
        case "browser": {
          const info = detectBrowser();
          note(id, () => t("check.browser_value", { family: info.family, version: info.version }));
          if (!info.supported) return fail("browser.unsupported");
          break;
        }
        case "camera":
          if (!sitting.camera?.getVideoTracks().some((track) => track.readyState === "live")) {
            stopStream(sitting.camera);
            sitting.camera = await openCamera();
          }
          const cameraLabel = sitting.camera.getVideoTracks()[0]?.label;
          note(id, () => cameraLabel || t("check.camera_on"));
          break;
        case "microphone":
          if (!sitting.microphone?.getAudioTracks().some((track) => track.readyState === "live")) {
            stopStream(sitting.microphone);
            sitting.microphone = await openMicrophone();
          }
          tap.current?.stop();
          tap.current = await AudioTap.start(sitting.microphone, 0);
          const micLabel = sitting.microphone.getAudioTracks()[0]?.label;
          note(id, () => micLabel || t("check.microphone_on"));
          break;
        case "upload": {
          const result = await measureUpload(sitting.exam.exam_id);
          const mbps = result.mbps;
          if (mbps !== undefined) note(id, () => t("check.speed_value", { mbps: formatNumber(mbps, 1) }));
          if (!result.ok) return fail(`upload.${result.problem}`);
          break;
        }
        case "private": {
          const answer = await privateWindow();
          if (answer === "failed") return fail("private.failed");
          if (answer === "unknown") {
            note(id, () => t("check.private_unknown"));
            set(id, "unknown");
            return true;
          }
          note(id, () => t("check.private_no"));
          break;
        }
        case "screen": {
          const stream = await shareWholeScreen();
          stopStream(stream);
          note(id, () => t("check.screen_ok"));
          break;
        }
      }
    } catch (error) {
      if (error instanceof MediaAccessError) return fail(`${id}.${error.problem}`);
      if (error instanceof ScreenShareError) return fail(`screen.${error.problem}`);
      set(id, "failed");
      setFailure({ text: () => errorText(error) });
      return false;
    }
    set(id, "passed");
    return true;
  };

  /** From a task on, every automatic probe in order; the screen one waits for the candidate's click. */
  const runFrom = async (from: TaskId) => {
    for (const id of TASKS.slice(TASKS.indexOf(from))) {
      if (id === "screen") {
        setCurrent("screen");
        return;
      }
      if (!(await probe(id))) return;
    }
  };

  const allDone = TASKS.every((id) => states[id] === "passed" || states[id] === "unknown");
  // Keyboard users keep their place: the button that replaces the one just pressed takes the focus.
  useEffect(() => {
    const target = allDone
      ? "#check-continue"
      : failure
        ? ".fixit button"
        : current === "screen" && states.screen !== "passed"
          ? "#check-screen"
          : null;
    if (target) document.querySelector<HTMLElement>(target)?.focus();
  }, [allDone, failure, current, states.screen]);
  const fixit = failure?.fixit ? FIXITS[failure.fixit] : null;

  return (
    <>
      <Heading caption={pick(sitting.exam.title)}>{t("check.title")}</Heading>
      <p>{t("check.intro")}</p>
      <div class="check-layout">
        <div>
          <h2 class="heading-s" id="tasks-title">
            {t("check.tasks")}
          </h2>
          <ol class="task-list" aria-labelledby="tasks-title">
            {TASKS.map((id) => (
              <li key={id} aria-current={current === id ? "step" : undefined} data-task={id}>
                <span>
                  {t(`check.task.${id}`)}
                  {detail[id] && <span class="body-s" style="display:block">{detail[id]!()}</span>}
                </span>
                <span aria-live="polite">
                  <Tag kind={TAGS[states[id]][0]}>{t(TAGS[states[id]][1])}</Tag>
                </span>
              </li>
            ))}
          </ol>
        </div>
        <div>
          {!started && (
            <Button onClick={() => void runFrom("browser")} id="start-check">
              {t("check.start")}
            </Button>
          )}
          {sitting.camera && (
            <div class="field">
              <span class="label" id="preview-label">
                {t("check.preview")}
              </span>
              <video class="preview" ref={preview} autoPlay muted playsInline aria-labelledby="preview-label" />
            </div>
          )}
          {tap.current && (
            <div class="field">
              <span class="label" id="meter-label">
                {t("check.level")}
              </span>
              <div
                class="meter"
                role="meter"
                aria-labelledby="meter-label"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(level * 100)}
              >
                <div class="meter__bar" style={{ width: `${Math.round(level * 100)}%` }} />
              </div>
              <p class="hint">{t("check.level_hint")}</p>
            </div>
          )}
          {failure && current && (
            <>
              {fixit ? (
                <FixIt
                  title={t(fixit.title)}
                  steps={fixit.steps.map((key) => t(key))}
                  onRetry={() => void (current === "screen" ? probe("screen") : runFrom(current))}
                />
              ) : (
                <FixIt title={failure.text?.() ?? t("errors.generic")} steps={[]} onRetry={() => void runFrom(current)} />
              )}
            </>
          )}
          {current === "screen" && states.screen !== "passed" && !failure && (
            <>
              <p>{t("check.screen_explain")}</p>
              <Button onClick={() => void probe("screen")} id="check-screen">
                {t("check.screen_button")}
              </Button>
            </>
          )}
          {allDone && (
            <>
              <p role="status">{t("check.all_passed")}</p>
              <Button
                id="check-continue"
                onClick={() => {
                  tap.current?.stop();
                  tap.current = null;
                  onNext();
                }}
              >
                {t("common.continue")}
              </Button>
            </>
          )}
        </div>
      </div>
    </>
  );
}
