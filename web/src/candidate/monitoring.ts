/**
 * What the page sends while the test is on: webcam and screen snapshots, audio chunks, browser events and
 * heartbeats. Everything but the heartbeat goes through the outbox, so a network drop delays it and loses nothing.
 *
 * Webcam: a frame every `webcam_every_s`; every second frame goes up with the one before it as one JPEG, the two
 * stacked vertically (earlier on top), named `<name>.f2.jpg` (camera.ts FramePairer). A frame still waiting for its
 * partner when the test ends, the proctor pauses it, or the page is hidden or unloads goes up alone (`<name>.jpg`).
 */
import { ApiError, api } from "../shared/api/client";
import type { BrowserEventType, Monitoring, SessionStatusView } from "../shared/api/types";
import { AudioTap } from "../shared/media/audio";
import {
  FramePairer,
  captureFrame,
  framesName,
  jpegNow,
  jpegOf,
  snapshot,
  stackFrames,
  videoOf,
} from "../shared/media/camera";
import { objectName } from "../shared/outbox/forms";
import type { Outbox } from "../shared/outbox/outbox";
import { randomId } from "../shared/outbox/outbox";
import { inboxSignal } from "./channel";

/** The heartbeat's cadence when the answer names none (an older API) or the beat failed; otherwise the server's
 * `next_heartbeat_s` (20 s, 5 s while a proctor watches the session: chalicelib/exam/presence.py), clamped. */
const HEARTBEAT_S = 5;
const WEBCAM_WIDTH = 640;
const WEBCAM_HEIGHT = 480;
const WEBCAM_QUALITY = 0.8;
const MIN_HEARTBEAT_S = 2;
const MAX_HEARTBEAT_S = 60;

/** The delay before the next beat from a heartbeat's answer (null: the beat failed). */
export function nextBeatS(answer: { next_heartbeat_s?: number } | null): number {
  const asked = answer?.next_heartbeat_s;
  if (typeof asked !== "number" || !Number.isFinite(asked)) return HEARTBEAT_S;
  return Math.min(MAX_HEARTBEAT_S, Math.max(MIN_HEARTBEAT_S, asked));
}

export interface MonitorCallbacks {
  /** The server's timer, measured on the monotonic clock around the heartbeat's round trip. */
  onHeartbeat(status: SessionStatusView, sentMs: number, receivedMs: number): void;
  onOtherClient(): void;
  onScreenEnded(): void;
  onCameraEnded(): void;
  onFullscreenExit(): void;
}

/** A heartbeat answer the page already has, with the monotonic times around its round trip. */
export interface BeatAnswer {
  status: SessionStatusView;
  sentMs: number;
  receivedMs: number;
}

export interface Streams {
  camera: MediaStream;
  microphone: MediaStream;
  screen: MediaStream | null;
}

/** A stable id for this tab (survives F5, not a new tab): the server lets one client hold the exam. */
export function clientId(): string {
  let id = sessionStorage.getItem("proctor.client_id");
  if (!id) {
    id = `tab-${randomId()}`;
    sessionStorage.setItem("proctor.client_id", id);
  }
  return id;
}

/** Server time estimated as the server's clock at the last fetch plus monotonic time since. */
export class ServerClock {
  private serverMs: number;
  private monoMs: number;
  constructor(serverTime: string) {
    this.serverMs = Date.parse(serverTime);
    this.monoMs = performance.now();
  }
  sync(serverTime: string): void {
    this.serverMs = Date.parse(serverTime);
    this.monoMs = performance.now();
  }
  nowIso(): string {
    return new Date(this.serverMs + performance.now() - this.monoMs).toISOString();
  }
}

export class Monitor {
  private timers: number[] = [];
  private beatTimer: number | null = null; // the next heartbeat (its delay comes with each answer)
  private beating = false;
  private cleanups: (() => void)[] = [];
  private audio: AudioTap | null = null;
  private cameraVideo: HTMLVideoElement;
  private screenVideo: HTMLVideoElement | null = null;
  private stopped = false;
  private paused = false;
  /** Webcam frames wait here for their partner; a completed pair (or a frame flushed alone) goes to the outbox. */
  private readonly frames = new FramePairer<HTMLCanvasElement>((frames) => void this.sendFrames(frames));
  /** Set while a flush must encode at once (the page is hiding or unloading): toBlob may never call back then. */
  private encodeNow = false;
  readonly clock: ServerClock;

  constructor(
    private readonly sessionId: string,
    private readonly cadence: Monitoring,
    private readonly streams: Streams,
    private readonly outbox: Outbox,
    serverTime: string,
    private readonly callbacks: MonitorCallbacks,
  ) {
    this.clock = new ServerClock(serverTime);
    this.cameraVideo = videoOf(streams.camera);
  }

  /** Starts monitoring. `first` is the answer to the heartbeat the page sent just before (the sitting's claim on the
   * session): the next beat then follows that answer's next_heartbeat_s instead of beating again at once. */
  async start(first?: BeatAnswer): Promise<void> {
    this.every(this.cadence.webcam_every_s, () => this.webcamFrame());
    this.every(this.cadence.screen_every_s, () => this.screenFrame());
    // Each beat schedules the next at the interval its answer names; back on screen or online: beat at once.
    this.listen(document, "visibilitychange", () => {
      if (document.visibilityState === "visible") void this.beat();
    });
    this.listen(window, "online", () => void this.beat());
    if (first) this.scheduleBeat(this.received(first.status, first.sentMs, first.receivedMs));
    else void this.beat();
    this.watchPage();
    this.watchTrack(this.streams.camera.getVideoTracks()[0], "camera_ended", () => this.callbacks.onCameraEnded());
    const mic = this.streams.microphone.getAudioTracks()[0];
    this.watchTrack(mic, "microphone_ended");
    if (mic) this.listen(mic, "mute", () => this.event("microphone_muted"));
    if (this.streams.screen) this.setScreen(this.streams.screen);
    try {
      this.audio = await AudioTap.start(
        this.streams.microphone,
        this.cadence.audio_chunk_s,
        (wav) => this.upload("audio", wav, "chunk.wav"),
        this.cadence, // audio_keepalive_s
      );
    } catch {
      // No audio graph in this browser: webcam, screen and events still flow.
    }
  }

  /** A new whole-screen share after the previous one stopped. */
  setScreen(stream: MediaStream): void {
    this.streams.screen = stream;
    this.screenVideo = videoOf(stream);
    const track = stream.getVideoTracks()[0];
    this.watchTrack(track, "screen_share_ended", () => {
      this.screenVideo = null;
      this.callbacks.onScreenEnded();
    });
  }

  event(type: BrowserEventType, details?: Record<string, string>): void {
    if (this.stopped) return;
    void this.outbox.addEvent(this.sessionId, {
      event_id: randomId(),
      type,
      occurred_at: this.clock.nowIso(),
      ...(details ? { details } : {}),
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.flushFrames(); // the frame waiting for its partner goes up alone: nothing captured is lost
    this.stopped = true;
    this.timers.forEach((id) => clearInterval(id));
    this.cleanups.forEach((cleanup) => cleanup());
    this.audio?.stop();
    this.timers = [];
    this.cleanups = [];
  }

  private every(seconds: number, action: () => void): void {
    this.timers.push(window.setInterval(action, Math.max(1, seconds) * 1000));
  }

  private listen(target: EventTarget, type: string, handler: (e: Event) => void): void {
    target.addEventListener(type, handler);
    this.cleanups.push(() => target.removeEventListener(type, handler));
  }

  private watchTrack(track: MediaStreamTrack | undefined, type: BrowserEventType, then?: () => void): void {
    if (!track) return;
    this.listen(track, "ended", () => {
      this.event(type);
      then?.();
    });
  }

  /** Send the webcam frame waiting for its partner alone (hidden page, pause, end), encoded at once if asked. */
  flushFrames(now = false): void {
    this.encodeNow = now;
    try {
      this.frames.flush();
    } finally {
      this.encodeNow = false;
    }
  }

  private watchPage(): void {
    this.listen(document, "visibilitychange", () => {
      if (document.visibilityState === "hidden") {
        this.event("tab_hidden");
        this.flushFrames(true);
      }
    });
    this.listen(window, "pagehide", () => this.flushFrames(true));
    this.listen(window, "blur", () => {
      // Switching tabs also blurs the window: record that once, as tab_hidden.
      setTimeout(() => {
        if (document.visibilityState === "visible" && !document.hasFocus()) this.event("window_blur");
      }, 300);
    });
    this.listen(document, "fullscreenchange", () => {
      if (!document.fullscreenElement) {
        this.event("fullscreen_exit");
        this.callbacks.onFullscreenExit();
      }
    });
    for (const type of ["copy", "cut", "paste"] as const) this.listen(document, type, () => this.event(type));
    this.listen(document, "contextmenu", (e) => {
      e.preventDefault();
      this.event("context_menu");
    });
    const screenInfo = window.screen as Screen & { isExtended?: boolean };
    if (screenInfo.isExtended) this.event("second_screen");
    this.listen(screenInfo as unknown as EventTarget, "change", () => {
      if (screenInfo.isExtended) this.event("second_screen");
    });
  }

  private webcamFrame(): void {
    if (this.stopped) return;
    const frame = captureFrame(this.cameraVideo, WEBCAM_WIDTH, WEBCAM_HEIGHT);
    if (frame) this.frames.add(frame);
  }

  /** One webcam upload: two frames stacked (a pair) or one alone (flushed), named for the frames it holds. */
  private async sendFrames(frames: HTMLCanvasElement[]): Promise<void> {
    const name = framesName(objectName("webcam"), frames.length); // named now, kept across retries
    const canvas = stackFrames(frames);
    if (!canvas) return;
    const jpeg = this.encodeNow ? jpegNow(canvas, WEBCAM_QUALITY) : await jpegOf(canvas, WEBCAM_QUALITY);
    if (jpeg) this.upload("webcam", jpeg, frames.length > 1 ? "frames.jpg" : "frame.jpg", name, true); // captured while running: sent even after stop()
  }

  private async screenFrame(): Promise<void> {
    if (!this.screenVideo) return;
    const jpeg = await snapshot(this.screenVideo, 1280, 0.6);
    if (jpeg) this.upload("screen", jpeg, "screen.jpg");
  }

  private upload(
    kind: "webcam" | "screen" | "audio",
    blob: Blob,
    filename: string,
    name: string = objectName(kind),
    evenIfStopped = false,
  ): void {
    if (this.stopped && !evenIfStopped) return;
    // Named at capture: the name under the minute's form prefix, kept across retries.
    void this.outbox.addUpload(this.sessionId, { kind, blob, filename, name });
  }

  /** One heartbeat now (unless one is on its way), then the next after the answer's next_heartbeat_s. */
  private async beat(): Promise<void> {
    if (this.stopped || this.beating) return;
    this.beating = true;
    if (this.beatTimer !== null) clearTimeout(this.beatTimer);
    this.beatTimer = null;
    let next = HEARTBEAT_S;
    try {
      next = await this.heartbeat();
    } finally {
      this.beating = false;
      this.scheduleBeat(next);
    }
  }

  private scheduleBeat(seconds: number): void {
    if (this.stopped) return;
    if (this.beatTimer !== null) clearTimeout(this.beatTimer);
    this.beatTimer = window.setTimeout(() => void this.beat(), seconds * 1000);
  }

  /** A heartbeat's answer taken in; answers the seconds until the next beat. */
  private received(status: SessionStatusView, sentMs: number, receivedMs: number): number {
    this.clock.sync(status.server_time);
    // The proctor paused the test: the frame waiting for its partner goes up now, not after the pause.
    if (status.paused && !this.paused) this.flushFrames();
    this.paused = Boolean(status.paused);
    this.callbacks.onHeartbeat(status, sentMs, receivedMs);
    // The channel fetches its inbox only when this answer says there is something new (channel.ts).
    if (status.inbox) {
      inboxSignal(this.sessionId, {
        latestId: status.inbox.latest_id,
        controlRev: status.control_rev ?? null,
        violations: status.inbox.violations,
      });
    }
    return nextBeatS(status);
  }

  /** Beats; answers the seconds until the next beat. */
  private async heartbeat(): Promise<number> {
    if (this.stopped) return HEARTBEAT_S;
    const sent = performance.now();
    try {
      const status = await api.heartbeat(this.sessionId, clientId());
      return this.received(status, sent, performance.now());
    } catch (error) {
      if (error instanceof ApiError && error.code === "session.other_client_active") {
        this.stop();
        this.callbacks.onOtherClient();
      }
      // Offline: the countdown keeps running on the last known deadline.
      return nextBeatS(null);
    }
  }
}
