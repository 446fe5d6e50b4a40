import { afterEach, describe, expect, it, vi } from "vitest";
import type { MediaKind, PresignedPost } from "../api/types";
import { REFRESH_MARGIN_MS, UploadForms, formFor, objectName } from "./forms";
import { sendUpload } from "./senders";

function form(n: number, expiresInS = 80): PresignedPost {
  return {
    url: "http://storage",
    fields: { key: `sessions/s/webcam/20261129T1800Z-000000000000000${n}/suggested.jpg`, policy: `p${n}` },
    key: "suggested",
    key_prefix: `sessions/s/webcam/20261129T1800Z-000000000000000${n}/`,
    max_bytes: 1,
    expires_in_s: expiresInS,
  };
}

function harness() {
  let clock = 0;
  const asked: MediaKind[] = [];
  const forms = new UploadForms(
    async (_s, kind) => {
      asked.push(kind);
      return form(asked.length);
    },
    () => clock,
  );
  return { forms, asked, advance: (ms: number) => (clock += ms) };
}

describe("upload forms", () => {
  it("asks once per kind and reuses the form until shortly before it expires", async () => {
    const { forms, asked, advance } = harness();
    const first = await forms.get("s", "webcam");
    for (let i = 0; i < 12; i++) {
      advance(5000); // a frame every 5 s for a minute
      expect(await forms.get("s", "webcam")).toBe(first);
    }
    expect(asked).toEqual(["webcam"]);
    await forms.get("s", "audio");
    expect(asked).toEqual(["webcam", "audio"]);
    advance(80_000 - 60_000 - REFRESH_MARGIN_MS); // less than the margin left of the first webcam form
    expect(await forms.get("s", "webcam")).not.toBe(first);
    expect(asked).toEqual(["webcam", "audio", "webcam"]);
  });

  it("shares one request between concurrent callers and forgets a dropped form", async () => {
    const { forms, asked } = harness();
    const [a, b] = await Promise.all([forms.get("s", "webcam"), forms.get("s", "webcam")]);
    expect(a).toBe(b);
    forms.drop("s", "webcam");
    expect(await forms.get("s", "webcam")).not.toBe(a);
    expect(asked).toEqual(["webcam", "webcam"]);
  });

  it("names objects as the key pattern wants and puts them under the form's prefix", () => {
    const name = objectName("audio", new Date("2026-11-29T17:54:40.123Z"));
    expect(name).toMatch(/^20261129T175440123Z-[0-9a-f]{12}\.wav$/);
    const post = formFor(form(1), name);
    expect(post.key).toBe(`${form(1).key_prefix}${name}`);
    expect(post.fields.key).toBe(post.key);
    expect(post.fields.policy).toBe("p1");
    const legacy = { ...form(1), key_prefix: undefined };
    expect(formFor(legacy, name)).toBe(legacy);
  });
});

describe("an upload through the minute's form", () => {
  afterEach(() => vi.unstubAllGlobals());

  function storage(statuses: number[]) {
    const keys: string[] = [];
    vi.stubGlobal("fetch", async (_url: string, init: { body: FormData }) => {
      keys.push(String(init.body.get("key")));
      return { status: statuses.shift() ?? 204 };
    });
    return keys;
  }

  it("keeps its own name under the prefix across uploads of the same form", async () => {
    const keys = storage([204, 204]);
    const { forms, asked } = harness();
    const blob = new Blob(["x"]);
    expect(await sendUpload(forms, "s", { kind: "webcam", blob, filename: "f.jpg", name: "a.jpg" })).toBe("ok");
    expect(await sendUpload(forms, "s", { kind: "webcam", blob, filename: "f.jpg", name: "b.jpg" })).toBe("ok");
    expect(asked).toEqual(["webcam"]);
    expect(keys).toEqual([`${form(1).key_prefix}a.jpg`, `${form(1).key_prefix}b.jpg`]);
  });

  it("takes a fresh form and tries again when the storage refuses the policy (expired): nothing is lost", async () => {
    const keys = storage([403, 204]);
    const { forms, asked } = harness();
    const upload = { kind: "webcam" as const, blob: new Blob(["x"]), filename: "f.jpg" };
    expect(await sendUpload(forms, "s", upload)).toBe("ok");
    expect(asked).toEqual(["webcam", "webcam"]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(`${form(2).key_prefix}${(upload as { name?: string }).name}`); // the same name, new prefix
  });

  it("leaves a refusal that a fresh form does not cure to the outbox's retries", async () => {
    storage([403, 403]);
    const { forms, asked } = harness();
    const result = await sendUpload(forms, "s", { kind: "audio", blob: new Blob(["x"]), filename: "c.wav" });
    expect(result).toBe("reject");
    expect(asked).toEqual(["audio", "audio"]);
    await forms.get("s", "audio");
    expect(asked).toHaveLength(3); // the refused form was dropped, the next upload asks anew
  });
});
