/**
 * The audio gate on the committed speech fixtures (tests/fixtures/audio: espeak-ng, the fake microphone the browser
 * tests feed Chromium) and on deterministic synthetic backgrounds (the same kinds tests/unit/test_speech.py uses).
 * GATE_REPORT=1 npx vitest run voice_gate prints each case's longest loud run and decisions (the measurement behind
 * the constants in voice_gate.ts).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_KEEPALIVE_S, MIN_RUN_S, VoiceGate } from "./voice_gate";

const RATE = 16000;
const CHUNK_S = 10;
const CHUNK = CHUNK_S * RATE;
const FIXTURES = new URL("../../../../tests/fixtures/audio/", import.meta.url);
const SPEECH = ["speech_en.wav", "speech_ru.wav", "speech_kk.wav", "speech_dialog_ru.wav"];
const REPORT = typeof process !== "undefined" && process.env.GATE_REPORT === "1";

function readWav(name: string): Float32Array {
  const bytes = readFileSync(new URL(name, FIXTURES));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (at + 8 <= view.byteLength) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    if (id === "data") {
      const out = new Float32Array(size / 2);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt16(at + 8 + 2 * i, true) / 32768;
      return out;
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${name}: no data chunk`);
}

// ---- deterministic signals --------------------------------------------------------------------------------------

function random(seed: number): () => number {
  let a = seed >>> 0; // mulberry32
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(n: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

/** Pink (1/f) noise: Paul Kellet's filter over white noise. */
function pink(n: number, seed: number): Float32Array {
  const w = gaussian(n, seed);
  const out = new Float32Array(n);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < n; i++) {
    const x = w[i];
    b0 = 0.99886 * b0 + x * 0.0555179;
    b1 = 0.99332 * b1 + x * 0.0750759;
    b2 = 0.969 * b2 + x * 0.153852;
    b3 = 0.8665 * b3 + x * 0.3104856;
    b4 = 0.55 * b4 + x * 0.5329522;
    b5 = -0.7616 * b5 - x * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + x * 0.5362;
    b6 = x * 0.115926;
  }
  return out;
}

/** Brown (1/f²) noise, a ventilation rumble: leaky integrated white noise. */
function brown(n: number, seed: number): Float32Array {
  const w = gaussian(n, seed);
  const out = new Float32Array(n);
  let y = 0;
  for (let i = 0; i < n; i++) out[i] = y = 0.998 * y + w[i];
  return out;
}

/** Mains hum: 50 Hz with decaying harmonics up to 250 Hz. */
function hum(n: number): Float32Array {
  const out = new Float32Array(n);
  const parts = [[1, 1], [2, 0.5], [3, 0.3], [4, 0.2], [5, 0.1]];
  for (let i = 0; i < n; i++) for (const [h, a] of parts) out[i] += a * Math.sin((2 * Math.PI * 50 * h * i) / RATE);
  return out;
}

/** A fan: pink noise with a 2 Hz swell of ±30 % and a 120 Hz blade tone. */
function fan(n: number, seed: number): Float32Array {
  const out = pink(n, seed);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    out[i] = out[i] * (1 + 0.3 * Math.sin(2 * Math.PI * 2 * t)) + 0.5 * Math.sin(2 * Math.PI * 120 * t);
  }
  return out;
}

/** Typing: ~4 key presses a second, each a 3-10 ms decaying noise burst, scaled to `peak`. */
function clicks(n: number, peak: number, seed: number): Float32Array {
  const next = random(seed);
  const noise = gaussian(n, seed + 1);
  const out = new Float32Array(n);
  for (let k = 0; k < (4 * n) / RATE; k++) {
    const at = Math.floor(next() * (n - 200));
    const length = 48 + Math.floor(next() * 112);
    for (let j = 0; j < length; j++) out[at + j] += noise[at + j] * Math.exp(-j / 20);
  }
  let max = 0;
  for (const v of out) max = Math.max(max, Math.abs(v));
  return out.map((v) => (v / max) * peak);
}

function rms(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

function atDbfs(x: Float32Array, dbfs: number): Float32Array {
  const gain = 10 ** (dbfs / 20) / rms(x);
  return x.map((v) => v * gain);
}

function add(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts[0].length);
  for (const p of parts) for (let i = 0; i < Math.min(p.length, out.length); i++) out[i] += p[i];
  return out.map((v) => Math.max(-1, Math.min(1, v)));
}

function scaled(x: Float32Array, db: number): Float32Array {
  const gain = 10 ** (db / 20);
  return x.map((v) => v * gain);
}

/** The noise that gives `snrDb` against the speech's RMS over the whole utterance. */
function noiseFor(speech: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  const gain = (rms(speech) / rms(noise)) * 10 ** (-snrDb / 20);
  return noise.map((v) => v * gain);
}

// ---- running the gate as audio.ts does: a stream cut into chunks, 128-sample quanta --------------------------

function decisions(stream: Float32Array, keepaliveS = 1e9, chunkS = CHUNK_S) {
  const gate = new VoiceGate(RATE, keepaliveS);
  const per = chunkS * RATE;
  const out = [];
  for (let start = 0; start + per <= stream.length; start += per) {
    for (let q = start; q < start + per; q += 128) gate.feed(stream.subarray(q, Math.min(q + 128, start + per)));
    out.push(gate.endChunk(chunkS));
  }
  return out;
}

/** Speech cases: a background, 30 s of it first, then the utterance placed at `offsetS` into the 4th chunk. */
interface SpeechCase {
  name: string;
  utterance: Float32Array;
  background: Float32Array; // 60 s
  offsetS: number;
}

function speechStream(c: SpeechCase): { stream: Float32Array; speechChunks: number[] } {
  const stream = c.background.slice();
  const at = 30 * RATE + Math.round(c.offsetS * RATE);
  for (let i = 0; i < c.utterance.length; i++) stream[at + i] = Math.max(-1, Math.min(1, stream[at + i] + c.utterance[i]));
  // A chunk holds speech when ≥ 0.3 s of the utterance (without its 0.25 s silent ends) falls in it.
  const speechStart = at + 0.25 * RATE;
  const speechEnd = at + c.utterance.length - 0.25 * RATE;
  const speechChunks: number[] = [];
  for (let k = 0; k * CHUNK < stream.length; k++) {
    const overlap = Math.min(speechEnd, (k + 1) * CHUNK) - Math.max(speechStart, k * CHUNK);
    if (overlap >= 0.3 * RATE) speechChunks.push(k);
  }
  return { stream, speechChunks };
}

const MINUTE = 60 * RATE;
const BACKGROUNDS: Record<string, () => Float32Array> = {
  "digital_silence": () => new Float32Array(MINUTE),
  "mic_hiss_-90dBFS": () => atDbfs(gaussian(MINUTE, 1), -90),
  "quiet_room_pink_-60dBFS": () => atDbfs(pink(MINUTE, 2), -60),
  "room_pink_-45dBFS": () => atDbfs(pink(MINUTE, 3), -45),
  "fan_-40dBFS": () => atDbfs(fan(MINUTE, 4), -40),
  "ventilation_brown_-35dBFS": () => atDbfs(brown(MINUTE, 5), -35),
  "hum_-30dBFS": () => atDbfs(hum(MINUTE), -30),
  "hum_-15dBFS": () => atDbfs(hum(MINUTE), -15),
  "white_-40dBFS": () => atDbfs(gaussian(MINUTE, 6), -40),
  "white_-25dBFS": () => atDbfs(gaussian(MINUTE, 7), -25),
  "pink_-25dBFS": () => atDbfs(pink(MINUTE, 8), -25),
  "pink_-10dBFS": () => atDbfs(pink(MINUTE, 9), -10),
  "typing_peak_0.3": () => clicks(MINUTE, 0.3, 10),
  "typing_peak_0.9": () => clicks(MINUTE, 0.9, 11),
  "typing_over_room": () => add(clicks(MINUTE, 0.5, 12), atDbfs(pink(MINUTE, 13), -45)),
};

function speechCases(): SpeechCase[] {
  const cases: SpeechCase[] = [];
  for (const file of SPEECH) {
    const utterance = readWav(file);
    for (const offsetS of [0.5, 3, 7.5]) {
      cases.push({ name: `${file} in silence`, utterance, background: new Float32Array(MINUTE), offsetS });
      for (const db of [-20, -30]) {
        const quiet = scaled(utterance, db); // peak -23 / -33 dBFS: a distant whisper
        cases.push({ name: `${file} ${db} dB in a quiet room`, utterance: quiet, background: atDbfs(pink(MINUTE, 21), -65), offsetS });
      }
      for (const [noise, make] of [["white", () => gaussian(MINUTE, 22)], ["pink", () => pink(MINUTE, 23)], ["fan", () => fan(MINUTE, 24)]] as const) {
        cases.push({ name: `${file} in ${noise} noise at 10 dB SNR`, utterance, background: noiseFor(utterance, make(), 10), offsetS });
      }
      cases.push({ name: `${file} over typing`, utterance, background: add(clicks(MINUTE, 0.5, 25), atDbfs(pink(MINUTE, 26), -45)), offsetS });
    }
  }
  return cases;
}

const report: string[] = [];
const log = (line: string) => REPORT && report.push(line);

describe("VoiceGate: speech passes", () => {
  it("every chunk that holds speech is uploaded (fixtures × loudness × noise × position in the chunk)", () => {
    let speechChunks = 0;
    const missed: string[] = [];
    const shortest: Record<string, number> = {};
    for (const c of speechCases()) {
      const { stream, speechChunks: wanted } = speechStream(c);
      const got = decisions(stream);
      const kind = c.name.replace(/^\S+ /, "");
      for (const k of wanted) {
        speechChunks += 1;
        shortest[kind] = Math.min(shortest[kind] ?? Infinity, got[k].longestRunS);
        if (got[k].reason !== "speech") missed.push(`${c.name} at ${c.offsetS} s, chunk ${k}`);
      }
    }
    for (const [kind, run] of Object.entries(shortest)) log(`speech ${kind.padEnd(34)} shortest longest-run ${run.toFixed(2)} s`);
    log(`speech chunks ${speechChunks}, missed ${missed.length} (a chunk holds speech with ≥ 0.3 s of the utterance; a loud run of ${MIN_RUN_S} s passes it)`);
    expect(missed).toEqual([]);
    expect(speechChunks).toBeGreaterThan(100);
  }, 120_000);

  it("a talker who never pauses long keeps passing: the floor does not climb onto the voice", () => {
    const talk = new Float32Array(MINUTE);
    const parts = SPEECH.map(readWav);
    for (let at = 0, i = 0; at < MINUTE; i++) {
      const u = parts[i % parts.length];
      talk.set(u.subarray(0, Math.min(u.length, MINUTE - at)), at);
      at += u.length;
    }
    const got = decisions(add(talk, noiseFor(talk, pink(MINUTE, 31), 15)));
    expect(got.every((d) => d.reason === "speech")).toBe(true);
  });
});

describe("VoiceGate: quiet backgrounds mostly stay home", () => {
  it("silence, hiss, room tone, fans, hum, white/pink noise and typing are not speech", () => {
    let chunks = 0;
    let passed = 0;
    for (const [name, make] of Object.entries(BACKGROUNDS)) {
      const got = decisions(make());
      const speech = got.filter((d) => d.reason === "speech").length;
      chunks += got.length;
      passed += speech;
      log(`${name.padEnd(28)} speech ${speech}/${got.length}, longest runs ${got.map((d) => d.longestRunS.toFixed(2)).join(" ")}`);
    }
    log(`background chunks ${chunks}, passed as speech ${passed}`);
    expect(passed).toBe(0);
  }, 120_000);

  it("a sudden loud background passes once, then the floor settles on it", () => {
    const stream = atDbfs(pink(MINUTE, 40), -65); // a quiet room
    stream.set(add(stream.subarray(20 * RATE), atDbfs(pink(40 * RATE, 41), -30)), 20 * RATE); // a fan at 20 s
    const got = decisions(stream);
    expect(got.map((d) => d.reason)).toEqual(["keepalive", "quiet", "speech", "quiet", "quiet", "quiet"]); // the first chunk always goes
  });
});

describe("VoiceGate: keep-alive", () => {
  it("uploads the first chunk, then one every keep-alive in silence", () => {
    const got = decisions(new Float32Array(2 * MINUTE), DEFAULT_KEEPALIVE_S);
    expect(got.map((d) => d.upload)).toEqual([true, false, false, false, false, false, true, false, false, false, false, false]);
    expect(got.filter((d) => d.upload).every((d) => d.reason === "keepalive")).toBe(true);
  });

  it("speech restarts the keep-alive count", () => {
    const stream = new Float32Array(2 * MINUTE);
    stream.set(readWav("speech_ru.wav"), 32 * RATE); // the 4th chunk speaks
    const got = decisions(stream, 30);
    expect(got.map((d) => d.reason)).toEqual(["keepalive", "quiet", "quiet", "speech", "quiet", "quiet", "keepalive", "quiet", "quiet", "keepalive", "quiet", "quiet"]);
  });

  it("with the browser tests' fast cadence: 2 s chunks and a 6 s keep-alive", () => {
    const got = decisions(new Float32Array(20 * RATE), 6, 2);
    expect(got.map((d) => d.upload)).toEqual([true, false, false, true, false, false, true, false, false, true]);
  });

  it("a keep-alive no longer than a chunk uploads every chunk", () => {
    expect(decisions(new Float32Array(MINUTE), 10).every((d) => d.upload)).toBe(true);
  });
});

describe("report", () => {
  it("prints the measurement when GATE_REPORT=1", () => {
    if (REPORT) console.log(report.join("\n"));
  });
});
