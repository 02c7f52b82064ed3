// Command-line options: node:util parseArgs with every value checked and converted here, so a
// mistake is a UsageError (exit status 2) that names the option, what it needs and what it got.

import { parseArgs } from 'node:util';

/** The user typed something the command does not accept: exit status 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem with the user's files or data (not with how the command was typed): exit status 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  /** Positional arguments, in order; a trailing '?' marks an optional one ('MODEL?'). */
  positionals: string[];
  options: Record<string, OptionSpec>;
}

export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** Parses argv for a command; throws UsageError for unknown options, missing or extra arguments. */
export function parse(spec: CommandSpec, argv: string[]): Parsed {
  let result;
  try {
    result = parseArgs({
      args: joinNegativeNumbers(argv, spec), allowPositionals: true, strict: true,
      options: { help: { type: 'boolean', short: 'h' }, ...spec.options },
    });
  } catch (err) {
    throw new UsageError(explainParseError(err as Error & { code?: string }), spec.name);
  }
  const values = result.values as Parsed['values'];
  if (values.help) return { positionals: result.positionals, values };
  const required = spec.positionals.filter((p) => !p.endsWith('?'));
  if (result.positionals.length < required.length) {
    const missing = required.slice(result.positionals.length);
    throw new UsageError(`missing ${missing.join(' and ')}`, spec.name);
  }
  if (result.positionals.length > spec.positionals.length) {
    const extra = result.positionals.slice(spec.positionals.length);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `'${a}'`).join(' ')}`, spec.name);
  }
  return { positionals: result.positionals, values };
}

// parseArgs reads `--lr -1` as an option missing its value; a value that looks like a negative
// number is the option's value (then checked like any other).
function joinNegativeNumbers(argv: string[], spec: CommandSpec): string[] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') { out.push(...argv.slice(i)); break; }
    if (takesValue.has(argv[i]) && /^-[0-9.]/.test(argv[i + 1] ?? '')) {
      const long = argv[i].startsWith('--') ? argv[i] : `--${Object.entries(spec.options).find(([, o]) => `-${o.short}` === argv[i])![0]}`;
      out.push(`${long}=${argv[++i]}`);
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

// parseArgs's messages mention its own API ("To specify an option argument starting with a
// dash…"); these say the same in the user's terms.
function explainParseError(err: Error & { code?: string }): string {
  // "Option '-n, --generate <value>' argument missing" → --generate
  const option = /'(?:-\w, )?(-{1,2}[^' ,]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return `unknown option ${option ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(err.message)) return `option ${option} needs a value`;
      if (/ambiguous/.test(err.message)) return `option ${option} needs a value (for a value starting with '-', write ${option}=-…)`;
      return `option ${option} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': return err.message;
    default: return err.message;
  }
}

// ---------------------------------------------------------------------------------------------
// Typed option values

type Values = Parsed['values'];

export function stringOption(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An integer option within [min, max]; undefined if absent (or `fallback`). */
export function intOption(values: Values, name: string, { min = 0, max = Number.MAX_SAFE_INTEGER, fallback }: { min?: number; max?: number; fallback?: number } = {}): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!/^-?[0-9_]+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}…${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, got '${raw}'`);
  }
  return n;
}

/** A finite number option; `positive` requires > 0, `min` ≥ min, `float32` a value float32 can hold. */
export function numberOption(values: Values, name: string, { positive = false, min, float32 = false, fallback }: { positive?: boolean; min?: number; float32?: boolean; fallback?: number } = {}): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (positive && !(n > 0)) || (min !== undefined && n < min) ||
      (float32 && !Number.isFinite(Math.fround(n)))) {
    throw new UsageError(`--${name} must be a${positive ? ' positive' : ''} number${min !== undefined ? ` ≥ ${min}` : ''}` +
      `${float32 ? ' that float32 can hold (at most 3.4028e+38)' : ''}, got '${raw}'`);
  }
  return n;
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(values: Values, name: string, choices: readonly T[], fallback?: T): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}, got '${raw}'`);
  }
  return raw as T;
}
