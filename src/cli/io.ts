// Lines in, lines out: reading a file or stdin line by line (bounded memory), CSV rows of
// numbers, and writing to stdout with backpressure.

import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { CliError } from './args.js';
import { fileError } from './files.js';

/** The lines of a file, or of stdin for '-', without their line ends. */
export async function* lines(path: string): AsyncGenerator<string> {
  const input = path === '-' ? process.stdin : createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    if (path === '-') { resolve(); return; }
    input.once('open', () => resolve());
    input.once('error', (err: Error) => reject(fileError(err, path, 'input file')));
  });
  await opened;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
    if (path !== '-') (input as ReturnType<typeof createReadStream>).destroy();
  }
}

/** Writes to stdout, waiting when the pipe is full, so memory stays bounded. */
export async function write(text: string, stream: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * A CSV row of numbers: comma-separated (or semicolon, tab or spaces). `where` names the line in
 * errors. Returns undefined for a row that is not numbers at all (a header).
 */
export function parseRow(line: string, where: string, columns?: number[]): number[] | undefined {
  const fields = line.includes(',') ? line.split(',') : line.includes(';') ? line.split(';') : line.includes('\t') ? line.split('\t') : line.trim().split(/ +/);
  if (columns) {
    const missing = columns.find((c) => c >= fields.length);
    if (missing !== undefined) throw new CliError(`${where}: has ${fields.length} column${fields.length > 1 ? 's' : ''}, no column ${missing + 1}`);
  }
  const picked = columns ?? fields.map((_, i) => i);
  const values = picked.map((c) => fields[c].trim());
  const numbers = values.map((f) => (f === '' ? NaN : Number(f)));
  if (numbers.every((n) => Number.isNaN(n))) return undefined;
  const bad = numbers.findIndex((n) => !Number.isFinite(n));
  if (bad >= 0) {
    throw new CliError(`${where}, column ${picked[bad] + 1}: ${values[bad] === '' ? 'empty field' : `'${values[bad]}' is not a finite number`}`);
  }
  return numbers;
}

/** "2", "2,3", "2-4" (1-based) → 0-based column indices. */
export function parseColumns(list: string): number[] | undefined {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]), to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from || to > 100_000) return undefined;
    for (let c = from; c <= to; c++) out.push(c - 1);
  }
  return out;
}

/** A number for output: up to `digits` significant digits, no trailing zeros. */
export function formatNumber(x: number, digits: number): string {
  if (x === 0) return '0';
  return String(Number(x.toPrecision(digits)));
}
