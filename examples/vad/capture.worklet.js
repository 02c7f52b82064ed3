// An AudioWorklet processor that sends the microphone's first channel to the page in chunks of
// CHUNK samples (at the AudioContext's rate), as transferable Float32Arrays. The audio thread
// delivers 128 samples per call; batching them keeps the messages to ~45 a second at 48 kHz.

const CHUNK = 1024;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunk = new Float32Array(CHUNK);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];   // absent while the source is not connected
    if (channel) {
      for (let at = 0; at < channel.length;) {
        const take = Math.min(CHUNK - this.filled, channel.length - at);
        this.chunk.set(channel.subarray(at, at + take), this.filled);
        this.filled += take;
        at += take;
        if (this.filled === CHUNK) {
          this.port.postMessage(this.chunk, [this.chunk.buffer]);
          this.chunk = new Float32Array(CHUNK);
          this.filled = 0;
        }
      }
    }
    return true;   // keep running until the page disconnects the node
  }
}

registerProcessor('recur-capture', Capture);
