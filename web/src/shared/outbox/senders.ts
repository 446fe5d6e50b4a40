/** How each outbox entry reaches the server; maps API answers to ok / retry / reject. */
import { ApiError, api, uploadPresigned } from "../api/client";
import { UploadForms, formFor, objectName } from "./forms";
import type { SendResult, Senders, UploadPayload } from "./outbox";

/** 409 session.paused: the proctor holds the session; the entry waits for the pause to end (never dropped). */
export function fromError(error: unknown): SendResult {
  if (error instanceof ApiError && error.code === "session.paused") return "hold";
  if (error instanceof ApiError && !error.transient && error.status !== 401) return "reject";
  return "retry";
}

export function fromStatus(status: number): SendResult {
  if (status >= 200 && status < 300) return "ok";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return "reject";
  return "retry"; // 0 (network), 408, 429, 5xx
}

export const apiSenders: Senders = {
  async answer(sessionId, answer) {
    try {
      await api.saveAnswer(sessionId, answer.itemId, answer.optionId);
      return "ok";
    } catch (error) {
      return fromError(error);
    }
  },
  async events(sessionId, events) {
    try {
      await api.sendEvents(sessionId, events);
      return "ok";
    } catch (error) {
      return fromError(error);
    }
  },
  upload: (sessionId, upload) => sendUpload(forms, sessionId, upload),
};

/** The page's upload forms: one per session and kind, reused until shortly before it expires (forms.ts). */
export const forms = new UploadForms(api.presignMedia);

/** One upload through the session's current form for its kind, under the entry's own name (the same on every
 * retry, so a POST whose answer was lost and is sent again is recognised as the same bytes). A 403 from the storage
 * (the policy expired: offline too long, clocks apart) drops the form and tries once more with a fresh one. */
export async function sendUpload(held: UploadForms, sessionId: string, upload: UploadPayload): Promise<SendResult> {
  upload.name ??= objectName(upload.kind);
  for (let attempt = 0; ; attempt++) {
    let post;
    try {
      post = await held.get(sessionId, upload.kind);
    } catch (error) {
      return fromError(error);
    }
    const status = await uploadPresigned(formFor(post, upload.name), upload.blob, upload.filename);
    if (status === 403) held.drop(sessionId, upload.kind);
    if (status === 403 && attempt === 0) continue;
    return fromStatus(status);
  }
}
