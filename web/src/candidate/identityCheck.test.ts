import { describe, expect, it } from "vitest";
import type { EnrollmentView } from "../shared/api/types";
import { DecisionTimeout, waitForDecision } from "./identityCheck";

const view = (status: EnrollmentView["status"]): EnrollmentView => ({ status, reasons: [], attempts: 1 });

function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), waited: () => t };
}

describe("waitForDecision", () => {
  it("answers a decided check without polling", async () => {
    const c = clock();
    const result = await waitForDecision(view("approved"), async () => view("rejected"), c);
    expect(result.status).toBe("approved");
    expect(c.waited()).toBe(0);
  });

  it("polls every second until the check is decided", async () => {
    const c = clock();
    const answers = [view("pending"), view("pending"), view("rejected")];
    let calls = 0;
    const result = await waitForDecision(view("pending"), async () => answers[calls++], c);
    expect(result.status).toBe("rejected");
    expect(calls).toBe(3);
    expect(c.waited()).toBe(3000);
  });

  it("gives up after 60 seconds of pending", async () => {
    const c = clock();
    let calls = 0;
    const waiting = waitForDecision(view("pending"), async () => (calls++, view("pending")), c);
    await expect(waiting).rejects.toBeInstanceOf(DecisionTimeout);
    expect(c.waited()).toBe(60_000);
    expect(calls).toBe(60);
  });

  it("passes the status call's error on", async () => {
    const c = clock();
    const failing = waitForDecision(view("pending"), async () => Promise.reject(new Error("offline")), c);
    await expect(failing).rejects.toThrow("offline");
  });
});
