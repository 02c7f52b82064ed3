// recur/vad: voice activity detection with Silero VAD's ONNX files on recur's graph runtime,
// streaming, with vad-web's segmentation rules. A separate entry point (it carries the ONNX
// decoder and the graph runtime); see README.md in this folder.

export { SileroVad, type SileroOptions, type SileroVersion, type ModelSource } from './silero.js';
export { VoiceActivityDetector, detectSpeech, type DetectorOptions, type DetectorOutput, type DetectorState } from './detector.js';
export { SpeechSegmenter, segmentsFromProbabilities, defaultSegmenterOptions, type SegmenterOptions, type SegmentEvent, type SpeechSegment, type SegmenterState } from './segmenter.js';
export { readWav, encodeWav, resample, type WavAudio } from './wav.js';
export { initGraph } from '../graph/kernels.js';
