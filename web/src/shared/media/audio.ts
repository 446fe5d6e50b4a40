/**
 * Microphone → 16 kHz mono Float32 chunks of a fixed length (for WAV uploads), and a live level for a meter.
 * A chunk is handed on only when the voice gate (voice_gate.ts) heard speech-like sound in it, or when the
 * keep-alive is due (proving the microphone works); quiet chunks are dropped here, in the browser.
 */
import { DEFAULT_KEEPALIVE_S, VoiceGate } from "./voice_gate";
import { encodeWav } from "./wav";

export const SAMPLE_RATE = 16000;

// Runs on the audio thread: forwards each 128-sample quantum of the first channel.
const WORKLET = `
class Tap extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor("proctor-tap", Tap);
`;

/** The cadence's audio_keepalive_s (the session's `monitoring`), or the default when a server does not send it. */
export function keepaliveOf(cadence: object): number {
  const value = (cadence as { audio_keepalive_s?: unknown }).audio_keepalive_s;
  return typeof value === "number" && value > 0 ? value : DEFAULT_KEEPALIVE_S;
}

export class AudioTap {
  private context: AudioContext;
  private node: AudioNode | null = null;
  private analyser: AnalyserNode;
  private buffer: Float32Array;
  private filled = 0;
  private level = new Float32Array(512);
  private gate: VoiceGate;
  /** Chunks recorded and chunks handed on (for diagnostics and the browser tests). */
  readonly counts = { chunks: 0, uploaded: 0, speech: 0, keepalive: 0 };

  private constructor(
    context: AudioContext,
    private readonly chunkSamples: number,
    private readonly onChunk: (wav: Blob) => void,
    keepaliveS: number,
  ) {
    this.context = context;
    this.gate = new VoiceGate(context.sampleRate, keepaliveS);
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 512;
    this.buffer = new Float32Array(chunkSamples);
  }

  /**
   * Start tapping; chunkS ≤ 0 only meters the level (system check). onChunk gets the chunks that may hold speech and
   * one at least every `audio_keepalive_s` seconds (the exam policy's cadence; its default when absent).
   */
  static async start(
    stream: MediaStream,
    chunkS: number,
    onChunk: (wav: Blob) => void = () => undefined,
    cadence: object = {},
  ) {
    const keepaliveS = keepaliveOf(cadence);
    const context = new AudioContext({ sampleRate: SAMPLE_RATE });
    const tap = new AudioTap(context, Math.max(1, Math.round(chunkS * SAMPLE_RATE)), onChunk, keepaliveS);
    const source = context.createMediaStreamSource(stream);
    source.connect(tap.analyser);
    if (chunkS > 0) await tap.connectRecorder(source);
    await context.resume().catch(() => undefined);
    return tap;
  }

  private async connectRecorder(source: MediaStreamAudioSourceNode): Promise<void> {
    const sink = this.context.createGain();
    sink.gain.value = 0; // keep the graph pulled without playing the microphone back
    sink.connect(this.context.destination);
    try {
      const url = URL.createObjectURL(new Blob([WORKLET], { type: "text/javascript" }));
      await this.context.audioWorklet.addModule(url);
      URL.revokeObjectURL(url);
      const node = new AudioWorkletNode(this.context, "proctor-tap");
      node.port.onmessage = (e: MessageEvent<Float32Array>) => this.push(e.data);
      source.connect(node).connect(sink);
      this.node = node;
    } catch {
      // Older browsers: the deprecated but universal ScriptProcessor.
      const node = this.context.createScriptProcessor(4096, 1, 1);
      node.onaudioprocess = (e) => this.push(e.inputBuffer.getChannelData(0));
      source.connect(node).connect(sink);
      this.node = node;
    }
  }

  private push(samples: Float32Array): void {
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(samples.length - offset, this.chunkSamples - this.filled);
      const part = samples.subarray(offset, offset + n);
      this.buffer.set(part, this.filled);
      this.gate.feed(part);
      this.filled += n;
      offset += n;
      if (this.filled === this.chunkSamples) {
        const decision = this.gate.endChunk(this.chunkSamples / this.context.sampleRate);
        this.counts.chunks += 1;
        if (decision.upload) {
          this.counts.uploaded += 1;
          this.counts[decision.reason === "speech" ? "speech" : "keepalive"] += 1;
          this.onChunk(new Blob([encodeWav(this.buffer, this.context.sampleRate)], { type: "audio/wav" }));
        }
        this.filled = 0;
      }
    }
  }

  /** RMS level 0..1 of the latest samples, for the meter. */
  currentLevel(): number {
    this.analyser.getFloatTimeDomainData(this.level);
    let sum = 0;
    for (const v of this.level) sum += v * v;
    return Math.min(1, Math.sqrt(sum / this.level.length) * 4);
  }

  stop(): void {
    this.node?.disconnect();
    void this.context.close().catch(() => undefined);
  }
}
