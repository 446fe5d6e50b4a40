import { describe, expect, it } from "vitest";
import { editableDefaults, normalizeDefaults, overrides, POLICY_FIELDS } from "./policy";

describe("analysis policy defaults", () => {
  it("reads the API's parameters list", () => {
    const list = normalizeDefaults({
      parameters: [{ param: "max_gap_s", default: 30, unit: "seconds", message_key: "policy.max_gap_s", kind: "integer", min: 1, max: 600 }],
    });
    expect(list).toEqual([{ name: "max_gap_s", value: 30, explanation_key: "policy.max_gap_s", kind: "integer", min: 1, max: 600 }]);
    expect(overrides({ max_gap_s: "601" }, editableDefaults(list))).toEqual({ invalid: "max_gap_s" });
    expect(overrides({ max_gap_s: "2.5" }, editableDefaults(list))).toEqual({ invalid: "max_gap_s" });
    expect(overrides({ max_gap_s: "60" }, editableDefaults(list))).toEqual({ max_gap_s: 60 });
  });

  it("reads a list, a map of entries, or a plain map", () => {
    const list = normalizeDefaults({ defaults: [{ name: "webcam_every_s", value: 5, explanation_key: "policy.webcam_every_s" }] });
    expect(list).toMatchObject([{ name: "webcam_every_s", value: 5, explanation_key: "policy.webcam_every_s" }]);
    expect(normalizeDefaults({ defaults: { max_gap_s: { value: 30, explanation_key: "k" } } })[0]).toMatchObject({ name: "max_gap_s", value: 30 });
    expect(normalizeDefaults({ yaw_limit_deg: 35 })).toEqual([{ name: "yaw_limit_deg", value: 35 }]);
    expect(normalizeDefaults(null)).toEqual([]);
  });

  it("offers every editable setting, the API's value first", () => {
    const fields = editableDefaults([{ name: "webcam_every_s", value: 7 }]);
    expect(fields.map((f) => f.name)).toEqual([...POLICY_FIELDS]);
    expect(fields[0].value).toBe(7);
    expect(fields.find((f) => f.name === "max_gap_s")?.value).toBe(30);
  });

  it("sends only what differs from the default; a comma decimal is read", () => {
    const defaults = editableDefaults([]);
    expect(overrides({ webcam_every_s: "5", speech_min_ratio: "0,2", yaw_limit_deg: "" }, defaults)).toEqual({ speech_min_ratio: 0.2 });
    expect(overrides({ max_gap_s: "abc" }, defaults)).toEqual({ invalid: "max_gap_s" });
  });
});
