import { describe, expect, it } from "vitest";
import { FRAMES_PER_OBJECT, FramePairer, framesName, stackLayout } from "./camera";

function pairer() {
  const sent: string[][] = [];
  const pairs = new FramePairer<string>((frames) => sent.push(frames));
  return { sent, pairs };
}

describe("webcam frames, two per upload", () => {
  it("holds a frame until its partner comes, then sends both, earlier first", () => {
    const { sent, pairs } = pairer();
    expect(FRAMES_PER_OBJECT).toBe(2);
    pairs.add("a");
    expect(sent).toEqual([]);
    expect(pairs.pending).toBe(1);
    pairs.add("b");
    expect(sent).toEqual([["a", "b"]]);
    expect(pairs.pending).toBe(0);
    pairs.add("c");
    pairs.add("d");
    pairs.add("e");
    expect(sent).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(pairs.pending).toBe(1);
  });

  it("sends a frame still waiting alone when flushed (end, pause, hidden page), and nothing twice", () => {
    const { sent, pairs } = pairer();
    pairs.add("a");
    pairs.flush();
    expect(sent).toEqual([["a"]]);
    pairs.flush(); // nothing held: nothing sent
    expect(sent).toEqual([["a"]]);
    pairs.add("b"); // a new pair starts after the flush
    pairs.add("c");
    expect(sent).toEqual([["a"], ["b", "c"]]);
    pairs.flush();
    expect(sent.length).toBe(2);
  });

  it("counts every frame captured exactly once across pairs and flushes", () => {
    const { sent, pairs } = pairer();
    const captured: string[] = [];
    for (let i = 0; i < 11; i++) {
      captured.push(`f${i}`);
      pairs.add(`f${i}`);
      if (i === 4 || i === 8) pairs.flush(); // the page hidden twice mid-pair
    }
    pairs.flush(); // the test ends
    expect(sent.flat()).toEqual(captured);
    expect(sent.map((frames) => frames.length)).toEqual([2, 2, 1, 2, 2, 2]);
  });

  it("names an object for the frames it holds, as the API's key pattern wants", () => {
    expect(framesName("20261129T175440123Z-0123456789ab.jpg", 2)).toBe("20261129T175440123Z-0123456789ab.f2.jpg");
    expect(framesName("20261129T175440123Z-0123456789ab.jpg", 1)).toBe("20261129T175440123Z-0123456789ab.jpg");
  });

  it("stacks two 640x480 frames into one 640x960 picture, earlier on top", () => {
    const frame = { width: 640, height: 480 };
    expect(stackLayout([frame, frame])).toEqual({ width: 640, height: 960, tops: [0, 480] });
    expect(stackLayout([frame])).toEqual({ width: 640, height: 480, tops: [0] });
  });
});
