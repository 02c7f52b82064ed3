// The command line itself: usage text, --help, and exit status 2 for every kind of bad usage,
// with a message that names the problem and points to --help.

import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, recur } from './helpers.js';

beforeAll(ensureBuilt, 120_000);

describe('recur usage', () => {
  it('with no arguments prints the usage on stderr and exits 2', async () => {
    const r = await recur([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^recur — /);
    for (const command of ['run MODEL', 'inspect FILE', 'convert IN OUT', 'quantize IN OUT', 'train MODEL', 'vad AUDIO', 'bench [MODEL]']) {
      expect(r.stderr).toContain(command);
    }
    expect(r.stderr).toContain('Exit status: 0 done, 1 error (bad file or data), 2 usage error.');
  });

  it('--help prints the usage on stdout and exits 0; <command> --help and help <command> print its options', async () => {
    const top = await recur(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^recur — /);
    for (const command of ['run', 'inspect', 'convert', 'quantize', 'train', 'vad', 'bench']) {
      const r = await recur([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: recur ${command} `));
      expect(r.stderr).toBe('');
    }
    expect((await recur(['help', 'train'])).stdout).toContain('--checkpoint PATH');
  });

  it.each([
    [['frobnicate'], /^recur: unknown command 'frobnicate'; commands: run, inspect, convert, quantize, train, vad, bench$/],
    [['trian'], /^recur: unknown command 'trian' \(did you mean 'train'\?\)$/],
    [['run'], /^recur run: missing MODEL$/],
    [['convert', 'a.onnx'], /^recur convert: missing OUT$/],
    [['inspect', 'a', 'b'], /^recur inspect: unexpected argument 'b'$/],
    [['run', 'm.safetensors', '--bogus'], /^recur run: unknown option --bogus$/],
    [['run', 'm.safetensors', '--generate'], /^recur run: option --generate needs a value$/],
    [['run', 'm.safetensors', '--generate', 'ten'], /^recur run: --generate must be an integer ≥ 0, got 'ten'$/],
    [['run', 'm.safetensors', '--temperature', '-1'], /^recur run: --temperature must be a number ≥ 0, got '-1'$/],
    [['run', 'm.safetensors', '--columns', 'x'], /^recur run: --columns must list 1-based columns/],
    [['train', 'm.safetensors'], /^recur train: --data FILE is required/],
    [['train', 'm.safetensors', '--data', 'x.txt', '--resume'], /^recur train: --resume needs --checkpoint PATH/],
    [['train', 'm.safetensors', '--data', 'x.txt', '--cell', 'transformer'], /^recur train: --cell must be lstm, gru or rnn, got 'transformer'$/],
    [['quantize', 'a', 'b', '--dtype', 'int4'], /^recur quantize: --dtype must be int8 or f16, got 'int4'$/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await recur(args as string[]);
    expect(r.code).toBe(2);
    const [line, hint] = r.stderr.trimEnd().split('\n');
    expect(line).toMatch(message);
    expect(hint).toMatch(/^Try 'recur( \w+)? --help'\.$/);
    expect(r.stdout).toBe('');
  });
});
