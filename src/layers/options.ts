// Checking the plain-JSON options every layer takes.

import { RecurOptionError } from '../errors.js';

export function positiveInt(layer: string, name: string, value: unknown, fallback?: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RecurOptionError(`${layer}: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return v;
}

export function flag(layer: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new RecurOptionError(`${layer}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(layer: string, name: string, value: unknown, allowed: T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new RecurOptionError(`${layer}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Rejects options the layer does not know (a typo would otherwise be silently ignored). */
export function noUnknown(layer: string, options: object, known: string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new RecurOptionError(`${layer}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${known.join(', ')}`);
  }
}

/** A seed for the initial weights: an integer in [0, 2³²), or undefined for a random one. */
export function seedOption(layer: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new RecurOptionError(`${layer}: seed must be an integer in [0, 2^32), got ${JSON.stringify(value)}`);
  }
  return value;
}
