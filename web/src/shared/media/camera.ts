/** Camera and microphone streams, JPEG snapshots of any video track, and webcam frames grouped two per upload. */

export type MediaProblem = "blocked" | "not_found" | "busy" | "unsupported" | "failed";

export class MediaAccessError extends Error {
  constructor(readonly problem: MediaProblem) {
    super(problem);
  }
}

/** Map getUserMedia's DOMException names to what the candidate can fix. */
export function problemOf(error: unknown): MediaProblem {
  const name = (error as { name?: string })?.name ?? "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return "blocked";
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return "not_found";
  if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") return "busy";
  return "failed";
}

async function getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new MediaAccessError("unsupported");
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    throw new MediaAccessError(problemOf(error));
  }
}

export const openCamera = () =>
  getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false });

export const openMicrophone = () =>
  getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false }, video: false });

/** A hidden <video> fed by a stream, to draw frames from. */
export function videoOf(stream: MediaStream): HTMLVideoElement {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  void video.play().catch(() => undefined);
  return video;
}

/** The current frame scaled to fit width×height (letterboxed only if the aspect differs), on a canvas of its own. */
export function captureFrame(video: HTMLVideoElement, maxWidth: number, fixedHeight?: number): HTMLCanvasElement | null {
  if (video.readyState < 2 || !video.videoWidth) return null;
  const scale = Math.min(1, maxWidth / video.videoWidth);
  const width = fixedHeight ? maxWidth : Math.round(video.videoWidth * scale);
  const height = fixedHeight ?? Math.round(video.videoHeight * scale);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.drawImage(video, 0, 0, width, height);
  return canvas;
}

/** A canvas as a JPEG (asynchronous: the browser encodes off the main thread). */
export function jpegOf(canvas: HTMLCanvasElement, quality: number): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), "image/jpeg", quality));
}

/** A canvas as a JPEG, encoded now (synchronously): for a frame sent while the page is being hidden or unloaded,
 * when an asynchronous encoding may never finish. */
export function jpegNow(canvas: HTMLCanvasElement, quality: number): Blob | null {
  const url = canvas.toDataURL("image/jpeg", quality);
  const comma = url.indexOf(",");
  if (!url.startsWith("data:image/jpeg") || comma < 0) return null;
  const text = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Blob([bytes], { type: "image/jpeg" });
}

/** Draw the current frame scaled to fit width×height (letterboxed only if the aspect differs) as a JPEG. */
export async function snapshot(
  video: HTMLVideoElement,
  maxWidth: number,
  quality: number,
  fixedHeight?: number,
): Promise<Blob | null> {
  const canvas = captureFrame(video, maxWidth, fixedHeight);
  return canvas ? jpegOf(canvas, quality) : null;
}

/** Webcam frames per uploaded object (chalicelib/media/uploads.py WEBCAM_FRAMES_PER_OBJECT): the page captures a
 * frame every `webcam_every_s` and uploads every second capture as one JPEG of both, stacked vertically. */
export const FRAMES_PER_OBJECT = 2;

/** The object name for an upload of this many frames: `<stamp>-<random>.jpg` → `<stamp>-<random>.f2.jpg`. */
export function framesName(name: string, frames: number): string {
  if (frames === 1) return name;
  const dot = name.lastIndexOf(".");
  return `${name.slice(0, dot)}.f${frames}${name.slice(dot)}`;
}

export interface Size {
  width: number;
  height: number;
}

/** Where each frame goes in the stacked picture (earlier on top): its size and every frame's top edge. Frames of
 * another size than the first are scaled to it (a camera that changed resolution mid-pair). */
export function stackLayout(frames: Size[]): { width: number; height: number; tops: number[] } {
  const { width, height } = frames[0];
  return { width, height: height * frames.length, tops: frames.map((_, i) => i * height) };
}

/** The frames stacked vertically on one canvas, earlier on top (640×960 for two 640×480 frames). */
export function stackFrames(frames: HTMLCanvasElement[]): HTMLCanvasElement | null {
  if (frames.length === 1) return frames[0];
  const layout = stackLayout(frames);
  const canvas = document.createElement("canvas");
  canvas.width = layout.width;
  canvas.height = layout.height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  frames.forEach((frame, i) => ctx.drawImage(frame, 0, layout.tops[i], layout.width, frames[0].height));
  return canvas;
}

/**
 * Groups consecutive webcam frames into objects of `perObject` frames: every perObject-th frame completes one,
 * sent with the frames held before it (earlier first). `flush()` sends what is held alone (the test ends, pauses,
 * the page is hidden or unloads): a frame is never kept back for a partner that may not come.
 */
export class FramePairer<F> {
  private held: F[] = [];

  constructor(
    private readonly send: (frames: F[]) => void,
    readonly perObject: number = FRAMES_PER_OBJECT,
  ) {}

  /** Frames waiting for the rest of their object. */
  get pending(): number {
    return this.held.length;
  }

  add(frame: F): void {
    this.held.push(frame);
    if (this.held.length >= this.perObject) this.flush();
  }

  flush(): void {
    if (!this.held.length) return;
    const frames = this.held;
    this.held = [];
    this.send(frames);
  }
}

export function stopStream(stream: MediaStream | null | undefined): void {
  stream?.getTracks().forEach((track) => track.stop());
}
