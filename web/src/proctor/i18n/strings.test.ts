import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import kk from "./kk.json";
import ru from "./ru.json";
import shared from "../../shared/i18n/en.json";

const dictionaries: Record<string, Record<string, string>> = { kk, ru, en };
const CONSOLE = join(__dirname, "..");
const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the console's locale files", () => {
  it("kk, ru and en have identical keys", () => {
    const keys = Object.keys(en).sort();
    expect(Object.keys(kk).sort()).toEqual(keys);
    expect(Object.keys(ru).sort()).toEqual(keys);
  });

  it("no value is empty, placeholders match, nothing looks like a key", () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, value] of Object.entries(dict)) {
        expect(value.trim(), `${lang}:${key}`).not.toBe("");
        expect(names(value), `${lang}:${key}`).toEqual(names((en as Record<string, string>)[key]));
        expect(value, `${lang}:${key}`).not.toMatch(/\b[a-z]+(\.[a-z_]+)+\b/);
      }
    }
  });

  it("every key is the console's own (no clash with the candidate app's strings)", () => {
    for (const key of Object.keys(en)) {
      expect(key.startsWith("proctor."), key).toBe(true);
      expect(key in shared, key).toBe(false);
    }
  });

  it("every key the console names exists (in its files or the shared ones)", () => {
    const used = new Set<string>();
    for (const name of readdirSync(CONSOLE)) {
      if (!/\.tsx?$/.test(name) || name.endsWith(".test.ts")) continue;
      const text = readFileSync(join(CONSOLE, name), "utf8");
      for (const m of text.matchAll(/\btr\(\s*"([a-z0-9_.]+)"/g)) used.add(m[1]);
      for (const m of text.matchAll(/"(proctor\.[a-z0-9_.]+)"/g)) used.add(m[1]);
    }
    // keys built from values: every status, kind, severity, action and violation the console shows
    const built = [
      ...["in_progress", "paused", "terminated", "submitted", "awaiting_review", "accepted", "annulled"].map((s) => `proctor.status.${s}`),
      ...["warning", "chat", "pause", "resume", "terminate", "note"].map((k) => `proctor.msg.${k}`),
      ...["low", "medium", "high"].map((s) => `proctor.severity.${s}`),
      ...["warn", "pause", "resume", "terminate", "chat", "note"].map((a) => `proctor.action.${a}.done`),
      ...["s", "min", "h"].map((u) => `proctor.seen.${u}`),
      ...["approved", "rejected", "overridden", "pending"].map((s) => `proctor.enrollment.status.${s}`),
      ...["selfie", "id_document", "both"].map((p) => `proctor.enrollment.photo.${p}`),
      ...[
        "no_face", "multiple_faces", "face_mismatch", "face_covered", "looking_away", "poor_lighting", "speech_detected",
        "second_client", "tab_hidden", "window_blur", "fullscreen_exit", "copy", "cut", "paste", "context_menu",
        "second_screen", "screen_share_ended", "camera_ended", "microphone_ended", "microphone_muted",
        "camera_missing", "audio_missing", "media_rejected", "media_reupload",
      ].map((v) => `proctor.violation.${v}`),
    ];
    for (const key of built) used.add(key);
    const missing = [...used].filter((key) => !(key in en) && !(key in shared));
    expect(missing).toEqual([]);
  });
});
