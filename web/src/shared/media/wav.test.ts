import { describe, expect, it } from "vitest";
import { encodeWav } from "./wav";

const text = (view: DataView, at: number, n: number) =>
  String.fromCharCode(...Array.from({ length: n }, (_, i) => view.getUint8(at + i)));

describe("encodeWav", () => {
  it("writes a 16 kHz mono 16-bit RIFF header and clamped little-endian samples", () => {
    const buffer = encodeWav(new Float32Array([0, 1, -1, 0.5, 2, -2]), 16000);
    const view = new DataView(buffer);
    expect(buffer.byteLength).toBe(44 + 12);
    expect(text(view, 0, 4)).toBe("RIFF");
    expect(view.getUint32(4, true)).toBe(36 + 12);
    expect(text(view, 8, 8)).toBe("WAVEfmt ");
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(16000);
    expect(view.getUint32(28, true)).toBe(32000);
    expect(view.getUint16(32, true)).toBe(2);
    expect(view.getUint16(34, true)).toBe(16);
    expect(text(view, 36, 4)).toBe("data");
    expect(view.getUint32(40, true)).toBe(12);
    const samples = Array.from({ length: 6 }, (_, i) => view.getInt16(44 + 2 * i, true));
    expect(samples).toEqual([0, 32767, -32768, 16384, 32767, -32768]);
  });

  it("ten seconds of audio fit the API's 1 MB limit", () => {
    expect(encodeWav(new Float32Array(16000 * 10), 16000).byteLength).toBeLessThanOrEqual(1024 * 1024);
  });
});
