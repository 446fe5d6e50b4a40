/** The system check's probes, each answering passed / failed (with a problem to explain) / unknown. */
import { ApiError, api, uploadPresigned } from "../shared/api/client";

export type TaskId = "browser" | "camera" | "microphone" | "upload" | "private" | "screen";
export const TASKS: TaskId[] = ["browser", "camera", "microphone", "upload", "private", "screen"];

export interface BrowserInfo {
  family: string;
  version: number;
  supported: boolean;
}

const MIN_VERSION: Record<string, number> = { Chrome: 110, Edge: 110, Opera: 96, Yandex: 23, Firefox: 115 };

export function detectBrowser(ua: string = navigator.userAgent): BrowserInfo {
  const patterns: [string, RegExp][] = [
    ["Edge", /Edg\/(\d+)/],
    ["Opera", /OPR\/(\d+)/],
    ["Yandex", /YaBrowser\/(\d+)/],
    ["Firefox", /Firefox\/(\d+)/],
    ["Chrome", /Chrom(?:e|ium)\/(\d+)/],
    ["Safari", /Version\/(\d+).*Safari/],
  ];
  for (const [family, pattern] of patterns) {
    const match = ua.match(pattern);
    if (match) {
      const version = Number(match[1]);
      return { family, version, supported: version >= (MIN_VERSION[family] ?? Infinity) };
    }
  }
  return { family: "?", version: 0, supported: false };
}

/**
 * Private windows get a small storage quota in Chromium and Firefox; a heuristic, said to be one. Where the
 * browser does not tell its quota, the answer is "cannot be checked", not "passed".
 */
export async function privateWindow(): Promise<"passed" | "failed" | "unknown"> {
  try {
    const estimate = await navigator.storage?.estimate?.();
    if (!estimate?.quota) return "unknown";
    return estimate.quota < 120 * 1024 * 1024 ? "failed" : "passed";
  } catch {
    return "unknown";
  }
}

export const PROBE_BYTES = 1024 * 1024;
export const MIN_MBPS = 1;

export type UploadResult = { ok: true; mbps: number } | { ok: false; problem: "slow" | "unreachable"; mbps?: number };

/** Upload ~1 MB of random bytes along the real upload path (presign + storage POST) and time it. */
export async function measureUpload(examId: string): Promise<UploadResult> {
  let post;
  try {
    post = await api.presignSpeedProbe(examId);
  } catch (error) {
    if (error instanceof ApiError && !error.offline && error.status < 500) throw error;
    return { ok: false, problem: "unreachable" };
  }
  const size = Math.min(PROBE_BYTES, post.max_bytes || PROBE_BYTES);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  const started = performance.now();
  const status = await uploadPresigned(post, new Blob([bytes], { type: "application/octet-stream" }), "probe.bin");
  const seconds = Math.max(0.001, (performance.now() - started) / 1000);
  if (status < 200 || status >= 300) return { ok: false, problem: "unreachable" };
  const mbps = (size * 8) / seconds / 1_000_000;
  return mbps >= MIN_MBPS ? { ok: true, mbps } : { ok: false, problem: "slow", mbps };
}
