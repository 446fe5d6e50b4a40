import { describe, expect, it } from "vitest";
import type { ExamWithSlots, Slot } from "./Slots";
import { slotPhase } from "./Slots";

const slot = (id: string, start: string, end: string): Slot => ({
  slot_id: id,
  starts_at: start,
  ends_at: end,
  grace_s: 900,
  capacity: 2,
  booked: 1,
  available: 1,
});

function exam(slots: Slot[], booked: string | null): ExamWithSlots {
  return {
    exam_id: "ex-1",
    title: { kk: "a", ru: "b", en: "c" },
    languages: ["ru"],
    duration_s: 600,
    opens_at: "2026-01-01T08:00:00Z",
    closes_at: "2026-01-01T20:00:00Z",
    consent_recorded: false,
    require_identity: false,
    blocks: [],
    session: null,
    slots,
    booking: booked ? { slot_id: booked, booked_at: null } : null,
  };
}

describe("slotPhase", () => {
  const s = slot("sl-1", "2026-01-01T10:00:00Z", "2026-01-01T10:15:00Z");
  const at = (iso: string) => Date.parse(iso);

  it("needs no booking in an exam without slots", () => {
    expect(slotPhase(exam([], null), at("2026-01-01T09:00:00Z"))).toBe("none");
  });

  it("asks for a booking, then waits for the slot, lets the candidate start inside it and not after", () => {
    expect(slotPhase(exam([s], null), at("2026-01-01T10:05:00Z"))).toBe("unbooked");
    expect(slotPhase(exam([s], "sl-1"), at("2026-01-01T09:59:59Z"))).toBe("early");
    expect(slotPhase(exam([s], "sl-1"), at("2026-01-01T10:00:00Z"))).toBe("open");
    expect(slotPhase(exam([s], "sl-1"), at("2026-01-01T10:15:00Z"))).toBe("missed");
  });

  it("treats a booking of a slot that no longer exists as none", () => {
    expect(slotPhase(exam([s], "sl-gone"), at("2026-01-01T10:05:00Z"))).toBe("unbooked");
  });
});
