// Training progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise
// (logs, CI, pipes), both with the loss, steps per second and the time left.

export interface ProgressState {
  step: number;          // steps done, counting those before a resume
  total: number;
  loss: number;          // smoothed
  stepsPerSecond: number;
  extra?: string;        // e.g. "1.83 bits/char"
}

export class Progress {
  private lastDraw = 0;
  private lastLine = -Infinity;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr,
              private readonly tty = out.isTTY === true,
              /** Plain mode: a line at least every this many steps (and at the last). */
              private readonly every = 0) {}

  update(s: ProgressState, force = false): void {
    const now = performance.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 100 && s.step < s.total) return;
      this.lastDraw = now;
      this.out.write(`\r${this.bar(s)}\x1b[K`);
      this.drawn = true;
    } else {
      const every = this.every || Math.max(1, Math.ceil(s.total / 20));
      if (!force && s.step % every !== 0 && s.step !== s.total) return;
      if (s.step === this.lastLine) return;
      this.lastLine = s.step;
      this.out.write(`${this.line(s)}\n`);
    }
  }

  /** A message between updates (a checkpoint was saved, …), not overwritten by the bar. */
  note(message: string): void {
    this.end();
    this.out.write(`${message}\n`);
  }

  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  line(s: ProgressState): string {
    return `step ${s.step}/${s.total}  loss ${fmt(s.loss)}${s.extra ? ` (${s.extra})` : ''}  ${s.stepsPerSecond.toFixed(1)} steps/s  ETA ${eta(s)}`;
  }

  /** The bar and the line, fitted to the terminal's width (a wrapped line could not be redrawn). */
  bar(s: ProgressState, columns = this.out.columns || 100): string {
    const text = this.line(s);
    const done = Math.min(1, s.step / s.total);
    const percent = `${(done * 100).toFixed(0).padStart(3)}%`;
    const width = Math.min(24, columns - 1 - text.length - percent.length - 3);
    if (width < 5) return `${percent}  ${text}`.slice(0, columns - 1);
    const full = Math.floor(done * width);
    return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${percent}  ${text}`;
  }
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

export function eta(s: ProgressState): string {
  if (!(s.stepsPerSecond > 0)) return '--:--';
  return duration((s.total - s.step) / s.stepsPerSecond);
}

/** Seconds as m:ss or h:mm:ss. */
export function duration(seconds: number): string {
  const t = Math.max(0, Math.round(seconds));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
