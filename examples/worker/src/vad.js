// POST /vad: where the speech is in a WAV file, with Silero VAD v5 (the model file vad-web ships)
// on recur/vad, segmented with vad-web's rules.
//
//   POST /vad  body: a WAV file (PCM or float, any sample rate, channels mixed to mono)
//              ?probabilities=1                 also every frame's speech probability
//              ?redemptionMs=1000&…             vad-web's knobs: positiveSpeechThreshold,
//                                               negativeSpeechThreshold, redemptionMs,
//                                               preSpeechPadMs, minSpeechMs (defaults vad-web's)
//   → { sampleRate, frames, frameMs, segments: [{ start, end }], probabilities? }
//     sampleRate is the file's; the audio is resampled to 16 kHz, where each frame is 512
//     samples (32 ms); segment times are ms from the start of the file, ends exclusive.
//
// The detector is made once per isolate, at startup (tens of ms), and reset for each request;
// nothing awaits between the reset and the answer, so concurrent requests cannot interleave in it.
// A request costs ~5 ms of CPU per second of audio (0.15 ms per 32 ms frame): the Free plan's
// 10 ms per request is about 2 s of audio, the Paid plan's limit is minutes.

import { VoiceActivityDetector, defaultSegmenterOptions, readWav, resample } from 'recur/vad';
import sileroFile from '../../../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx';   // a Data module: ArrayBuffer

const RATE = 16000;
const KNOBS = ['positiveSpeechThreshold', 'negativeSpeechThreshold', 'redemptionMs', 'preSpeechPadMs', 'minSpeechMs'];

const detector = await VoiceActivityDetector.create(new Uint8Array(sileroFile), { sampleRate: RATE });

/** The answer to POST /vad: `bytes` is the request body, `query` its URLSearchParams. */
export function detectSpeech(bytes, query) {
  const options = {};
  for (const k of KNOBS) options[k] = query.has(k) ? Number(query.get(k)) : defaultSegmenterOptions[k];
  const wav = readWav(bytes);                        // a RecurFormatError (400) if it is not a WAV we read
  const samples = wav.sampleRate === RATE ? wav.samples : resample(wav.samples, wav.sampleRate, RATE);
  detector.segmenter.setOptions(options);            // a RecurOptionError (400) for a bad knob
  detector.reset();
  const a = detector.push(samples), b = detector.flush();
  const probabilities = [...a.probabilities, ...b.probabilities];
  const segments = [...a.events, ...b.events].filter((e) => e.type === 'end').map(({ start, end }) => ({ start, end }));
  return {
    sampleRate: wav.sampleRate,
    frames: probabilities.length,
    frameMs: (detector.frameSamples * 1000) / RATE,
    segments,
    ...(query.get('probabilities') === '1' ? { probabilities } : {}),
  };
}

export const vadInfo = () => ({ model: 'silero_vad_v5.onnx', version: detector.vad.version, sampleRate: RATE, frameSamples: detector.frameSamples });
