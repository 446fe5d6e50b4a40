/**
 * Monitoring upload forms: one per session and kind, reused for every upload until shortly before it expires.
 *
 * The API answers a POST policy for a key prefix (`sessions/<id>/<kind>/<minute>-<nonce>/`) valid for its clock minute
 * plus a little slack; each upload picks a name of its own under it. So the page asks for a form about once a minute
 * per kind instead of once per upload. A form the storage refuses (403: it expired while the page was offline, or the
 * clocks disagree) is dropped and the upload tries once more with a fresh one; nothing waiting in the outbox is lost.
 */
import type { MediaKind, PresignedPost } from "../api/types";

/** A form is replaced when less than this is left of it: an upload started then still lands before the expiry. */
export const REFRESH_MARGIN_MS = 10_000;

interface Held {
  post: PresignedPost;
  expiresAt: number;
}

export class UploadForms {
  private held = new Map<string, Held>();
  private asking = new Map<string, Promise<PresignedPost>>();

  constructor(
    private readonly presign: (sessionId: string, kind: MediaKind) => Promise<PresignedPost>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The session's current form for this kind: the one held while it is fresh enough, else a new one (concurrent
   * callers share one request). */
  async get(sessionId: string, kind: MediaKind): Promise<PresignedPost> {
    const id = `${sessionId}:${kind}`;
    const held = this.held.get(id);
    if (held && held.expiresAt - this.now() > REFRESH_MARGIN_MS) return held.post;
    let asking = this.asking.get(id);
    if (!asking) {
      const sent = this.now();
      asking = this.presign(sessionId, kind)
        .then((post) => {
          // Measured on this page's clock from when the request left: the server's clock may differ from ours.
          if (post.key_prefix) this.held.set(id, { post, expiresAt: sent + (post.expires_in_s ?? 0) * 1000 });
          return post;
        })
        .finally(() => this.asking.delete(id));
      this.asking.set(id, asking);
    }
    return asking;
  }

  /** The storage refused an upload through this form: never use it again. */
  drop(sessionId: string, kind: MediaKind): void {
    this.held.delete(`${sessionId}:${kind}`);
  }
}

const EXTENSION: Record<MediaKind, string> = { webcam: "jpg", screen: "jpg", audio: "wav" };

/** An object name as the API's key pattern wants it: the capture time to the millisecond and 12 random hex digits. */
export function objectName(kind: MediaKind, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:.]/g, ""); // 20261129T175440123Z
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  const random = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${stamp}-${random}.${EXTENSION[kind]}`;
}

/** The form with the upload's own key under its prefix (a form without a prefix is used as it is). */
export function formFor(post: PresignedPost, name: string): PresignedPost {
  if (!post.key_prefix) return post;
  const key = post.key_prefix + name;
  return { ...post, key, fields: { ...post.fields, key } };
}
