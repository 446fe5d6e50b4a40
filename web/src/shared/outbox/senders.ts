/** How each outbox entry reaches the server; maps API answers to ok / retry / reject. */
import { ApiError, api, uploadPresigned } from "../api/client";
import type { SendResult, Senders } from "./outbox";

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
  async upload(sessionId, upload) {
    // A fresh presign for every attempt: one that expired while offline is never reused.
    let post;
    try {
      post = await api.presignMedia(sessionId, upload.kind);
    } catch (error) {
      return fromError(error);
    }
    return fromStatus(await uploadPresigned(post, upload.blob, upload.filename));
  },
};
