// The `recur` command (bin/recur.js runs dist/cli.js, this file bundled). One module per
// command; this one dispatches and turns errors into one line and an exit status:
//   0  done
//   1  the files or data were wrong, or the model could not run (the message says which)
//   2  the command line was wrong (the message, then a pointer to --help)
// Errors recur throws on purpose (RecurError) and file errors are user mistakes: one line, no
// stack. Anything else is a bug in recur: its message, and the stack with RECUR_DEBUG=1.

import { RecurError } from '../node/index.js';
import { CliError, UsageError, parse, type CommandSpec, type Parsed } from './args.js';
import * as benchCommand from './bench.js';
import * as convertCommand from './convert.js';
import * as inspectCommand from './inspect.js';
import * as runCommand from './run.js';
import * as trainCommand from './train.js';
import * as vadCommand from './vad.js';

interface Command { spec: CommandSpec; help: string; summary: string; run: (args: Parsed) => Promise<number> }

const COMMANDS: Record<string, Command> = {
  run: { spec: runCommand.spec, help: runCommand.help, run: runCommand.run,
    summary: 'stream text or CSV rows through a model, or generate text' },
  inspect: { spec: inspectCommand.spec, help: inspectCommand.help, run: inspectCommand.inspect,
    summary: 'layers, shapes, dtypes, size and parameters of a model file, or an ONNX graph' },
  convert: { spec: convertCommand.convertSpec, help: convertCommand.convertHelp, run: convertCommand.convert,
    summary: 'ONNX, TensorFlow.js or PyTorch safetensors → recur model file' },
  quantize: { spec: convertCommand.quantizeSpec, help: convertCommand.quantizeHelp, run: convertCommand.quantizeCommand,
    summary: 'store a model\'s weights as int8 or f16' },
  train: { spec: trainCommand.spec, help: trainCommand.help, run: trainCommand.train,
    summary: 'train a new model, or fine-tune one, on a text or CSV file' },
  vad: { spec: vadCommand.spec, help: vadCommand.help, run: vadCommand.vad,
    summary: 'speech segments in a WAV file, with a Silero VAD .onnx file' },
  bench: { spec: benchCommand.spec, help: benchCommand.help, run: benchCommand.bench,
    summary: 'speed of streaming, whole sequences and training on this machine' },
};

const USAGE = `recur — run and train LSTM, GRU and RNN models (PyTorch-exact, SIMD WebAssembly)

Usage: recur <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${(`${name} ${c.spec.positionals.map((p) => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : p)).join(' ')}`).padEnd(17)}${c.summary}`).join('\n')}

'recur <command> --help' shows a command's options.
Exit status: 0 done, 1 error (bad file or data), 2 usage error.

Examples:
  recur run models/char-lstm.safetensors --generate 300 --prime "hacker " --seed 7
  recur inspect models/char-lstm.int8.safetensors
  recur convert model.onnx model.safetensors --dtype f16
  recur train my.safetensors --data notes.txt --hidden 128 --steps 500 --checkpoint my.ckpt --resume
  recur vad speech.wav --model node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx`;

export async function main(argv: string[]): Promise<number> {
  const stdoutClosed = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);    // `recur run … | head`: the reader has gone
    throw err;
  };
  process.stdout.on('error', stdoutClosed);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic && Object.hasOwn(COMMANDS, topic)) process.stdout.write(`${COMMANDS[topic].help}\n`);
    else (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (!command) throw new UsageError(`unknown command '${name}'${suggest(name)}`);
    const args = parse(command.spec, rest);
    if (args.values.help) {
      process.stdout.write(`${command.help}\n`);
      return 0;
    }
    return await command.run(args);
  } catch (err) {
    return report(err, name);
  }
}

declare const __RECUR_VERSION__: string | undefined;
const VERSION = typeof __RECUR_VERSION__ === 'string' ? __RECUR_VERSION__ : 'recur';

/** One line on stderr for the error; the exit status for it. */
export function report(err: unknown, command: string | undefined): number {
  if (err instanceof UsageError) {
    const cmd = err.command ?? (command && Object.hasOwn(COMMANDS, command) ? command : undefined);
    process.stderr.write(`recur${cmd ? ` ${cmd}` : ''}: ${err.message}\nTry 'recur ${cmd ? `${cmd} ` : ''}--help'.\n`);
    return 2;
  }
  if (err instanceof CliError || err instanceof RecurError) {
    process.stderr.write(`recur${command ? ` ${command}` : ''}: ${err.message}\n`);
    return 1;
  }
  const e = err as Error;
  process.stderr.write(`recur${command ? ` ${command}` : ''}: internal error: ${e?.message ?? String(err)}\n` +
    (process.env.RECUR_DEBUG ? `${e?.stack ?? ''}\n` : 'This is a bug in recur; RECUR_DEBUG=1 shows where it happened.\n'));
  return 1;
}

function suggest(name: string): string {
  const close = Object.keys(COMMANDS).find((c) => c.startsWith(name.slice(0, 2)) || distance(c, name) <= 2);
  return close ? ` (did you mean '${close}'?)` : `; commands: ${Object.keys(COMMANDS).join(', ')}`;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}
