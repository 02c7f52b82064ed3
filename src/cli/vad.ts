// recur vad AUDIO --model SILERO.onnx: speech segments in a WAV file, with Silero VAD on recur's
// graph runtime (recur/vad, loaded with a dynamic import). The WAV is read once, mixed to mono and
// resampled to the model's rate; then it goes to a VoiceActivityDetector in chunks, as a stream
// would, and each segment is written as soon as it ends (memory: the audio, and nothing that
// grows with the number of frames or segments).

import type { DetectorOutput, SegmentEvent } from '../vad/for-node.js';
import { RecurError } from '../node/index.js';
import { CliError, choiceOption, numberOption, stringOption, UsageError, type CommandSpec, type Parsed } from './args.js';
import { detectFormat, inFile, readBytes } from './files.js';
import { formatNumber, write } from './io.js';

export const spec: CommandSpec = {
  name: 'vad',
  positionals: ['AUDIO'],
  options: {
    model: { type: 'string', short: 'm' },
    'sample-rate': { type: 'string' },
    positive: { type: 'string' },
    negative: { type: 'string' },
    'redemption-ms': { type: 'string' },
    'pre-speech-pad-ms': { type: 'string' },
    'min-speech-ms': { type: 'string' },
    probabilities: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-context': { type: 'boolean' },
  },
};

export const help = `Usage: recur vad AUDIO --model SILERO.onnx [options]

Finds speech in a WAV file with Silero VAD on recur's graph runtime. The audio (PCM or float, any
sample rate; channels mixed to mono) is resampled to --sample-rate and fed to the detector in
chunks, as a live stream would be, and each speech segment is written as soon as it ends:
"start end" in seconds, one per line. Segments follow @ricky0123/vad-web's rules, knobs and
defaults. AUDIO '-' reads the WAV from stdin.

  -m, --model FILE          Silero VAD's ONNX file: silero_vad_v5.onnx, _v6 or _legacy.onnx
                            (as @ricky0123/vad-web ships them) or silero-vad's own exports
      --sample-rate HZ      the rate the model runs at: 16000 (default) or 8000
      --positive P          a frame is speech when its probability is ≥ P (default 0.3)
      --negative P          while in speech, a frame below P counts towards the end (default 0.25)
      --redemption-ms MS    that many ms of such frames end a segment (default 1400)
      --pre-speech-pad-ms MS  audio kept before the first speech frame (default 800)
      --min-speech-ms MS    a segment with fewer ms of speech frames is dropped (default 400)
      --no-context          feed v5/v6 each frame alone, without the last samples of the frame
                            before (as vad-web before 0.0.31)
      --probabilities       instead of the segments, each frame's speech probability as CSV:
                            time_s,probability (the frame's start, in seconds)
      --json                one JSON object per line: {"start","end","speechStart","speechFrames"}
                            (seconds); with --probabilities, frames too: {"time","probability"}
  -h, --help                this text

Exit status: 0 done, 1 a bad WAV, model file or knob value (one line naming it), 2 a usage error.

Example:
  recur vad meeting.wav --model node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx --redemption-ms 1000`;

/** The command's knobs, by SpeechSegmenter's option name. */
const KNOBS = {
  positiveSpeechThreshold: 'positive', negativeSpeechThreshold: 'negative', redemptionMs: 'redemption-ms',
  preSpeechPadMs: 'pre-speech-pad-ms', minSpeechMs: 'min-speech-ms',
} as const;

/** Samples given to the detector at a time (a quarter of a second at 16 kHz). */
const CHUNK = 4096;

export async function vad({ positionals, values }: Parsed): Promise<number> {
  const audioPath = positionals[0];
  const modelPath = stringOption(values, 'model');
  if (modelPath === undefined) throw new UsageError('--model FILE is required: a Silero VAD .onnx file (e.g. node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx)', 'vad');
  const sampleRate = Number(choiceOption(values, 'sample-rate', ['16000', '8000'] as const, '16000'));
  const knobs: Record<string, number> = {};
  for (const [option, flag] of Object.entries(KNOBS)) {
    const v = numberOption(values, flag);
    if (v !== undefined) knobs[option] = v;
  }
  const json = values.json === true, probabilities = values.probabilities === true;

  let vadModule: typeof import('../vad/for-node.js');
  try {
    vadModule = await import('../vad/for-node.js');
  } catch {
    throw new CliError('voice activity detection is not built into this recur (dist/vad-node.js is missing); run npm run build');
  }
  const { SpeechSegmenter, VoiceActivityDetector, readWav, resample } = vadModule;
  // The knobs first (their message in the command's terms), then the files.
  try {
    new SpeechSegmenter({ ...knobs, sampleRate });
  } catch (err) {
    throw knobError(err);
  }
  const modelBytes = await readBytes(modelPath, 'model file');
  const kind = detectFormat(modelPath, modelBytes);
  if (kind !== undefined && kind !== 'onnx') {
    throw new CliError(`${modelPath} is ${kind === 'tfjs' ? 'JSON' : 'a safetensors file'}, not ONNX: --model takes Silero VAD's .onnx file (silero_vad_v5.onnx, …)`);
  }
  const wavBytes = audioPath === '-' ? await readStdin() : await readBytes(audioPath, 'audio file');
  const where = audioPath === '-' ? 'stdin' : audioPath;
  let wav: ReturnType<typeof readWav>;
  try {
    wav = readWav(wavBytes);
  } catch (err) {
    throw inFile(err, where);
  }
  const bad = wav.samples.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new CliError(`${where}: sample ${bad} (at ${(bad / wav.sampleRate).toFixed(3)} s) is ${wav.samples[bad]}`);
  const changes = [
    ...(wav.channels > 1 ? [`${wav.channels} channels mixed to mono`] : []),
    ...(wav.sampleRate !== sampleRate ? [`resampled from ${wav.sampleRate} Hz to ${sampleRate} Hz`] : []),
  ];
  if (changes.length) process.stderr.write(`note: ${where}: ${changes.join(', ')}\n`);
  const audio = wav.sampleRate === sampleRate ? wav.samples : resample(wav.samples, wav.sampleRate, sampleRate);
  const durationMs = (audio.length / sampleRate) * 1000;

  let detector: Awaited<ReturnType<typeof VoiceActivityDetector.create>>;
  try {
    detector = await VoiceActivityDetector.create(modelBytes, { ...knobs, sampleRate, ...(values['no-context'] === true ? { context: false } : {}) });
  } catch (err) {
    throw inFile(err, modelPath);
  }
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  let frame = 0;
  if (probabilities && !json) await write('time_s,probability\n');
  /** Writes what one push() or flush() gave: the frames' probabilities, then the segments that ended. */
  const emit = async (out: DetectorOutput) => {
    let text = '';
    for (const p of out.probabilities) {
      const time = seconds((frame++ * detector.frameSamples * 1000) / sampleRate);
      if (probabilities) text += json ? `{"time":${time},"probability":${formatNumber(p, 6)}}\n` : `${time},${formatNumber(p, 6)}\n`;
    }
    if (!probabilities || json) {
      for (const e of out.events) if (e.type === 'end') text += segmentLine(e, Math.min(e.end, durationMs), json, seconds);
    }
    if (text) await write(text);
  };
  try {
    for (let at = 0; at < audio.length; at += CHUNK) await emit(detector.push(audio.subarray(at, at + CHUNK)));
    await emit(detector.flush());
  } catch (err) {
    throw inFile(err, modelPath);
  } finally {
    detector.dispose();
  }
  return 0;
}

function segmentLine(e: Extract<SegmentEvent, { type: 'end' }>, end: number, json: boolean, seconds: (ms: number) => string): string {
  return json
    ? `{"start":${seconds(e.start)},"end":${seconds(end)},"speechStart":${seconds(e.speechStart)},"speechFrames":${e.speechFrames}}\n`
    : `${seconds(e.start)} ${seconds(end)}\n`;
}

/** SpeechSegmenter's complaint about a knob, in the command's option names. */
function knobError(err: unknown): unknown {
  if (!(err instanceof RecurError)) return err;
  const message = err.message.replace(/^SpeechSegmenter: /, '')
    .replace(/\b(positiveSpeechThreshold|negativeSpeechThreshold|redemptionMs|preSpeechPadMs|minSpeechMs)\b/g, (name) => `--${KNOBS[name as keyof typeof KNOBS]}`);
  return new CliError(message);
}

async function readStdin(): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(parts));
}
