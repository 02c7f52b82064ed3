// recur run on the shipped character model: --generate writes N characters after the prime,
// the same ones for the same --seed; --input completes or scores lines. On numeric models: one
// output row per CSV row, streamed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, recur, root } from './helpers.js';

const MODEL = join(root, 'models/char-lstm.safetensors');
const SENSOR = join(root, 'models/sensor-gru.safetensors');
const vocab = new Set(JSON.parse(readFileSync(join(root, 'models/char-lstm.json'), 'utf8')).vocab);

beforeAll(ensureBuilt, 120_000);

describe('recur run, character model', () => {
  it('--generate N writes the prime and N characters of the vocabulary, the same for the same --seed', async () => {
    const args = ['run', MODEL, '--generate', '120', '--prime', ':hacker: n. ', '--seed', '42'];
    const a = await recur(args);
    const b = await recur(args);
    const c = await recur([...args.slice(0, -1), '43']);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout.startsWith(':hacker: n. ')).toBe(true);
    const generated = [...a.stdout.slice(':hacker: n. '.length)];
    expect(generated).toHaveLength(120);                 // not a terminal: no newline added
    expect(generated.every((ch) => vocab.has(ch))).toBe(true);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('--temperature 0 always takes the most likely character', async () => {
    const a = await recur(['run', MODEL, '--generate', '60', '--temperature', '0', '--seed', '1']);
    const b = await recur(['run', MODEL, '--generate', '60', '--temperature', '0', '--seed', '2']);
    expect(a.stdout).toHaveLength(60);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--input with --generate completes each line; without, prints bits/char per line and the mean', async () => {
    const input = 'The Jargon File is\nA hacker is a person who\n';
    const complete = await recur(['run', MODEL, '--input', '-', '--generate', '15', '--seed', '3'], { input });
    expect(complete.code).toBe(0);
    const lines = complete.stdout.split('\n');
    expect(lines[0].startsWith('The Jargon File is')).toBe(true);
    expect(complete.stdout).toMatch(/A hacker is a person who/);

    const score = await recur(['run', MODEL, '--input', '-'], { input });
    expect(score.code).toBe(0);
    expect(score.stdout).toMatch(/^\d\.\d{3}\tThe Jargon File is\n\d\.\d{3}\tA hacker is a person who\n$/);
    expect(score.stderr).toMatch(/^44 characters, \d\.\d{4} bits\/char\n$/);
  });
});

describe('recur run, numeric model', () => {
  it('one output row per CSV row, from the chosen column, header skipped', async () => {
    const csv = readFileSync(join(root, 'examples/node-sensor/readings.csv'), 'utf8').split('\n').slice(0, 101).join('\n');
    const r = await recur(['run', SENSOR, '--columns', '2'], { input: csv });
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows).toHaveLength(100);
    expect(rows.every((row) => /^-?\d+(\.\d+)?(e-?\d+)?$/.test(row))).toBe(true);
  });
});
