/**
 * Which audio chunks are worth uploading: those that may hold speech, and one every `keepaliveS` seconds anyway.
 *
 * The browser's check is deliberately simple and generous; the server's Silero VAD still decides what is speech in
 * every chunk it gets. The gate only keeps obviously quiet chunks (silence, a steady fan, hum, hiss, isolated key
 * clicks) off the network:
 *
 * 1. The samples pass a speech-band filter (2nd-order high-pass at 300 Hz, then low-pass at 3,400 Hz: the
 *    telephone band, so mains hum and rumble do not count) and are cut into 20 ms frames of four 5 ms quarters;
 *    a frame's level is the RMS of its filtered samples.
 * 2. A noise floor follows the quietest frames: it drops at once to a quieter frame and otherwise rises slowly
 *    (doubling, +6 dB, every FLOOR_DOUBLING_S), so it settles on a steady background within seconds and speech,
 *    which has pauses between words, does not lift it.
 * 3. A frame is loud when at least LOUD_PARTS of its quarters are above both MARGIN × the floor (6 dB) and MIN_LEVEL
 *    (-66 dBFS: the quietest fixture speech, 30 dB down, is louder; a microphone's own hiss is quieter). A key
 *    click fills one quarter, a voice all four.
 * 4. A chunk may hold speech when it has a run of loud frames of at least MIN_RUN_S (a syllable lasts 100–300 ms;
 *    clicks, taps and the swell of a fan gave runs of at most 40 ms).
 *
 * Measured (voice_gate.test.ts, GATE_REPORT=1): on the espeak-ng fixtures (the browser tests' fake microphone),
 * 112 chunks holding ≥ 0.3 s of speech, in silence, 20 and 30 dB quieter in a quiet room, in white/pink/fan noise
 * at 10 dB SNR and over typing, at three positions in the chunk: none missed, the shortest longest run 0.10 s;
 * 90 chunks of silence, hiss, room tone, fan, ventilation, hum, white/pink noise up to -10 dBFS and typing: none
 * passed, the longest run 0.04 s.
 *
 * The first chunk is always uploaded (it shows the microphone works), and after that at least one chunk every
 * `keepaliveS` seconds of audio, so the server can tell a quiet candidate from a dead microphone
 * (chalicelib/violations/silence.py opens `audio_missing` only after keep-alive + slack without a usable chunk).
 */

export const FRAME_S = 0.02;
export const LOW_HZ = 300;
export const HIGH_HZ = 3400;
export const MARGIN = 2; // 6 dB over the noise floor
export const MIN_LEVEL = 0.0005; // -66 dBFS
export const FLOOR_DOUBLING_S = 1;
const FLOOR_MIN = 1e-6; // -120 dBFS: after digital silence the floor can still rise
export const MIN_RUN_S = 0.08; // 4 frames
export const FRAME_PARTS = 4; // 5 ms quarters of a frame
export const LOUD_PARTS = 3; // a frame is loud when 3 of its quarters are
/** Default seconds between uploads when nothing speech-like is heard (the policy's audio_keepalive_s). */
export const DEFAULT_KEEPALIVE_S = 60;

export type GateReason = "speech" | "keepalive" | "quiet";

export interface GateDecision {
  upload: boolean;
  reason: GateReason;
  /** The longest run of loud frames heard in this chunk, in seconds. */
  longestRunS: number;
}

/** An RBJ-cookbook biquad (Butterworth Q), direct form I. */
class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly a1: number;
  private readonly a2: number;

  constructor(kind: "highpass" | "lowpass", hz: number, sampleRate: number) {
    const w0 = (2 * Math.PI * hz) / sampleRate;
    const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
    const cos = Math.cos(w0);
    const a0 = 1 + alpha;
    const edge = kind === "highpass" ? (1 + cos) / 2 : (1 - cos) / 2;
    this.b0 = edge / a0;
    this.b1 = (kind === "highpass" ? -2 * edge : 2 * edge) / a0;
    this.b2 = edge / a0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  step(x: number): number {
    const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

export class VoiceGate {
  private readonly highpass: Biquad;
  private readonly lowpass: Biquad;
  private readonly frameSamples: number;
  private readonly rise: number;
  private readonly minRunFrames: number;
  private readonly partSamples: number;
  private readonly parts: Float64Array;
  private partSquares = 0;
  private filled = 0;
  private floor = Number.POSITIVE_INFINITY;
  private run = 0;
  private longestRun = 0;
  private sinceUploadS = Number.POSITIVE_INFINITY; // nothing uploaded yet: the first chunk goes

  constructor(
    readonly sampleRate: number,
    readonly keepaliveS: number = DEFAULT_KEEPALIVE_S,
  ) {
    this.highpass = new Biquad("highpass", LOW_HZ, sampleRate);
    this.lowpass = new Biquad("lowpass", HIGH_HZ, sampleRate);
    this.partSamples = Math.max(1, Math.round((FRAME_S * sampleRate) / FRAME_PARTS));
    this.frameSamples = this.partSamples * FRAME_PARTS;
    this.parts = new Float64Array(FRAME_PARTS);
    this.rise = 2 ** (FRAME_S / FLOOR_DOUBLING_S);
    this.minRunFrames = Math.max(1, Math.round(MIN_RUN_S / FRAME_S));
  }

  /** Listen to the next samples of the current chunk. */
  feed(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) {
      const y = this.lowpass.step(this.highpass.step(samples[i]));
      this.partSquares += y * y;
      if (++this.filled % this.partSamples === 0) {
        this.parts[this.filled / this.partSamples - 1] = Math.sqrt(this.partSquares / this.partSamples);
        this.partSquares = 0;
      }
      if (this.filled === this.frameSamples) {
        this.frame();
        this.filled = 0;
      }
    }
  }

  /** The chunk (chunkS seconds of audio) is complete: upload it or not. Starts the next chunk. */
  endChunk(chunkS: number): GateDecision {
    const longestRunS = this.longestRun * FRAME_S;
    this.longestRun = this.run; // a run still going counts for the next chunk too
    this.sinceUploadS += chunkS;
    let reason: GateReason = "quiet";
    if (longestRunS + 1e-9 >= this.minRunFrames * FRAME_S) reason = "speech";
    else if (this.sinceUploadS >= this.keepaliveS - 1e-9) reason = "keepalive";
    const upload = reason !== "quiet";
    if (upload) this.sinceUploadS = 0;
    return { upload, reason, longestRunS };
  }

  /** The current noise floor (band RMS, 0..1), for tests and diagnostics. */
  noiseFloor(): number {
    return this.floor;
  }

  private frame(): void {
    let squares = 0;
    for (const part of this.parts) squares += part * part;
    const level = Math.sqrt(squares / FRAME_PARTS);
    if (level < this.floor) this.floor = level;
    else this.floor = Math.max(this.floor, FLOOR_MIN) * this.rise;
    const threshold = Math.max(this.floor * MARGIN, MIN_LEVEL);
    let loudParts = 0;
    for (const part of this.parts) if (part > threshold) loudParts += 1;
    const loud = loudParts >= LOUD_PARTS;
    this.run = loud ? this.run + 1 : 0;
    if (this.run > this.longestRun) this.longestRun = this.run;
  }
}
