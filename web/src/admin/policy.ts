/** The analysis policy's settings as the exam form shows them: each default from GET /admin/policy-defaults, in
 * whatever shape the API lists them, with a plain-words explanation per setting (admin.policy.<name>.help). */
import type { PolicyDefault } from "./api";

/** The settings an admin may change, in the order the form shows them (chalicelib/exam/policy.py). */
export const POLICY_FIELDS = [
  "webcam_every_s",
  "screen_every_s",
  "audio_chunk_s",
  "audio_keepalive_s",
  "reid_every_n",
  "match_threshold",
  "yaw_limit_deg",
  "pitch_limit_deg",
  "min_brightness",
  "max_brightness",
  "speech_min_ratio",
  "max_gap_s",
] as const;

/** Used only while the API's list cannot be read: the same values chalicelib/exam/policy.py has. */
export const KNOWN_DEFAULTS: Record<string, number | null> = {
  webcam_every_s: 5, screen_every_s: 30, audio_chunk_s: 10, audio_keepalive_s: 60, reid_every_n: 3, match_threshold: null,
  yaw_limit_deg: 35, pitch_limit_deg: 25, min_brightness: 45, max_brightness: 235, speech_min_ratio: 0.1, max_gap_s: 30,
};

function entry(name: string, raw: unknown): PolicyDefault {
  if (raw && typeof raw === "object" && !Array.isArray(raw) && ("value" in (raw as object) || "default" in (raw as object))) {
    const r = raw as { value?: unknown; default?: unknown; message_key?: string; explanation_key?: string; min?: number; max?: number; kind?: string };
    return {
      name,
      value: "default" in r ? r.default : r.value,
      explanation_key: r.message_key ?? r.explanation_key,
      min: r.min,
      max: r.max,
      kind: r.kind,
    };
  }
  return { name, value: raw };
}

/** [{name, value, explanation_key?}] from GET /admin/policy-defaults ({parameters: [{param, default, message_key,
 * kind, min, max}]}), or a list/map under `defaults`, or a plain {name: value} map. */
export function normalizeDefaults(raw: unknown): PolicyDefault[] {
  const wrapped = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  const body = wrapped && "parameters" in wrapped ? wrapped.parameters : wrapped && "defaults" in wrapped ? wrapped.defaults : raw;
  if (Array.isArray(body)) {
    return body
      .filter((d): d is Record<string, unknown> => !!d && typeof d === "object")
      .map((d) => {
        const name = String(d.param ?? d.name ?? d.field ?? "");
        return { ...entry(name, d), name };
      });
  }
  if (body && typeof body === "object") return Object.entries(body as Record<string, unknown>).map(([n, v]) => entry(n, v));
  return [];
}

/** The form's editable settings with their defaults; the API's list wins over the known values. */
export function editableDefaults(list: PolicyDefault[]): PolicyDefault[] {
  const byName = new Map(list.map((d) => [d.name, d]));
  return POLICY_FIELDS.map((name) => byName.get(name) ?? { name, value: KNOWN_DEFAULTS[name] });
}

/** The overrides to send: only the fields the admin filled in and that differ from the default. */
export function overrides(values: Record<string, string>, defaults: PolicyDefault[]): Record<string, number> | { invalid: string } {
  const out: Record<string, number> = {};
  for (const d of defaults) {
    const text = (values[d.name] ?? "").trim().replace(",", ".");
    if (!text) continue;
    const n = Number(text);
    if (!Number.isFinite(n)) return { invalid: d.name };
    if ((d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) return { invalid: d.name };
    if (d.kind === "integer" && !Number.isInteger(n)) return { invalid: d.name };
    if (n !== d.value) out[d.name] = n;
  }
  return out;
}
