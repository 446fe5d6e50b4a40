/** Camera and microphone streams, and JPEG snapshots of any video track. */

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

/** Draw the current frame scaled to fit width×height (letterboxed only if the aspect differs) as a JPEG. */
export async function snapshot(
  video: HTMLVideoElement,
  maxWidth: number,
  quality: number,
  fixedHeight?: number,
): Promise<Blob | null> {
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
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), "image/jpeg", quality));
}

export function stopStream(stream: MediaStream | null | undefined): void {
  stream?.getTracks().forEach((track) => track.stop());
}
