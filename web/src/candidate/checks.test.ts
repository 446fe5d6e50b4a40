import { describe, expect, it } from "vitest";
import { fromStatus } from "../shared/outbox/senders";
import { detectBrowser } from "./checks";

describe("detectBrowser", () => {
  it("names the family and version, and supports current Chromium browsers and Firefox", () => {
    const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    expect(detectBrowser(chrome)).toEqual({ family: "Chrome", version: 131, supported: true });
    expect(detectBrowser(`${chrome} Edg/130.0.0.0`)).toMatchObject({ family: "Edge", version: 130, supported: true });
    expect(detectBrowser(`${chrome} YaBrowser/24.10.0.0`)).toMatchObject({ family: "Yandex", supported: true });
    expect(detectBrowser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")).toMatchObject({
      family: "Firefox",
      supported: true,
    });
  });

  it("refuses old versions and Safari", () => {
    expect(detectBrowser("Mozilla/5.0 AppleWebKit/537.36 Chrome/79.0.3945.88 Safari/537.36").supported).toBe(false);
    const safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
    expect(detectBrowser(safari)).toMatchObject({ family: "Safari", supported: false });
  });
});

describe("storage answers", () => {
  it("2xx is done, a lasting 4xx is a rejection, the network, 408, 429 and 5xx are retried", () => {
    expect([200, 201, 204].map(fromStatus)).toEqual(["ok", "ok", "ok"]);
    expect([400, 403].map(fromStatus)).toEqual(["reject", "reject"]);
    expect([0, 408, 429, 500, 503].map(fromStatus)).toEqual(["retry", "retry", "retry", "retry", "retry"]);
  });
});
