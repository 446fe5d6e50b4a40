/** One exam being taken in this tab: the exam, the media streams opened for it and, once started, the session. */
import type { AdmittedExam, SessionStatusView, SessionView } from "../shared/api/types";
import { stopStream } from "../shared/media/camera";
import type { Outbox } from "../shared/outbox/outbox";
import type { InboxPoller } from "./channel";
import type { Countdown } from "../shared/timer";
import type { Monitor, MonitorCallbacks } from "./monitoring";

export interface Sitting {
  exam: AdmittedExam;
  camera: MediaStream | null;
  microphone: MediaStream | null;
  screen: MediaStream | null;
  session: SessionView | null;
  monitor: Monitor | null;
  outbox?: Outbox;
  countdown?: Countdown;
  /** The proctor's channel, polled while the test runs (stopped with the monitor). */
  channel?: InboxPoller;
  /** The screen currently showing receives the monitor's news through this (the test replaces it). */
  relay?: MonitorCallbacks;
  /** The submit's answer, for the result screen. */
  final?: SessionStatusView;
}

export type Step =
  | { name: "cabinet" }
  | { name: "language" }
  | { name: "rules" }
  | { name: "check" }
  | { name: "identity" }
  | { name: "blocks" }
  | { name: "share"; blockId: string | null }
  | { name: "test"; blockId: string | null }
  | { name: "result" }
  | { name: "other_client" }
  | { name: "terminated"; reason: string };

const RESUME_KEY = "proctor.sitting";

/** Remember that this tab is inside an exam, so F5 comes back to it. */
export function rememberSitting(examId: string | null): void {
  if (examId) sessionStorage.setItem(RESUME_KEY, examId);
  else sessionStorage.removeItem(RESUME_KEY);
}

export function rememberedSitting(): string | null {
  return sessionStorage.getItem(RESUME_KEY);
}

export function release(sitting: Sitting | null): void {
  if (!sitting) return;
  sitting.monitor?.stop();
  sitting.channel?.stop();
  stopStream(sitting.camera);
  stopStream(sitting.microphone);
  stopStream(sitting.screen);
}
