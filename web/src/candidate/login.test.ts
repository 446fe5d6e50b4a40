import { describe, expect, it } from "vitest";
import { initialAgency } from "./Login";

describe("the organisation on the login screen", () => {
  it("comes from the link the organisation hands out", () => {
    expect(initialAgency("?agency=demo-agency")).toBe("demo-agency");
    expect(initialAgency("?lang=kk&agency=%20kz-agency-1%20")).toBe("kz-agency-1");
  });

  it("is empty (to be typed) without a link or a remembered one", () => {
    expect(initialAgency("")).toBe("");
    expect(initialAgency("?agency=")).toBe("");
  });
});
