import { describe, expect, it } from "vitest";
import { bankShortfall, examState } from "./examStatus";

describe("exam state", () => {
  const window = { opens_at: "2026-11-29T10:00:00Z", closes_at: "2026-11-29T12:00:00Z" };
  it("follows the window when the API states no status", () => {
    expect(examState(window, Date.parse("2026-11-29T09:59:59Z"))).toBe("scheduled");
    expect(examState(window, Date.parse("2026-11-29T10:00:00Z"))).toBe("open");
    expect(examState(window, Date.parse("2026-11-29T12:00:00Z"))).toBe("closed");
  });
  it("takes the API's status first", () => {
    expect(examState({ ...window, status: "closed" }, Date.parse("2026-11-29T11:00:00Z"))).toBe("closed");
  });
});

describe("bank size against draws", () => {
  it("names the blocks whose bank is smaller than the draw", () => {
    const blocks = [{ block_id: "law", item_count: 3 }, { block_id: "ethics", item_count: 2 }];
    expect(bankShortfall(blocks, { law: 3, ethics: 1 })).toEqual(["ethics"]);
    expect(bankShortfall(blocks, {})).toEqual(["law", "ethics"]);
  });
});
