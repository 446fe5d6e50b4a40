/** Whole-screen sharing: a window or a tab is refused, because only the whole screen shows what the candidate sees. */
export type ScreenProblem = "not_monitor" | "denied" | "unsupported" | "failed";

export class ScreenShareError extends Error {
  constructor(readonly problem: ScreenProblem) {
    super(problem);
  }
}

export async function shareWholeScreen(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new ScreenShareError("unsupported");
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({
      video: { displaySurface: "monitor" } as MediaTrackConstraints,
      audio: false,
      // Chromium hints: offer screens first, never this tab.
      ...({ monitorTypeSurfaces: "include", selfBrowserSurface: "exclude", surfaceSwitching: "exclude" } as object),
    });
  } catch (error) {
    const name = (error as { name?: string })?.name;
    throw new ScreenShareError(name === "NotAllowedError" ? "denied" : "failed");
  }
  const track = stream.getVideoTracks()[0];
  const surface = (track?.getSettings() as { displaySurface?: string } | undefined)?.displaySurface;
  if (!track || (surface !== undefined && surface !== "monitor")) {
    stream.getTracks().forEach((t) => t.stop());
    throw new ScreenShareError("not_monitor");
  }
  return stream;
}
