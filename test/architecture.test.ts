// The layering of src/: a folder imports only from folders below it, never from one above or
// beside it. Type-only imports count too (they are dependencies of the reader, if not of the
// bundle). The order, lowest first, as the code has it:
//
//   errors.ts                  error classes
//   runtime/                   wasm loading, memory, parameters
//   layers/                    LSTM, GRU, RNN, Linear, Embedding: forward and backward, tapes
//   stream/                    step-by-step sessions (adds Recurrent.stream(): layer-streams.ts)
//   model/                     Sequential
//   formats/                   safetensors, model files, quantization
//   train/                     losses, optimizers, clipping, Trainer, checkpoints
//   graph/ onnx/ tfjs/         importers and the ONNX graph runtime
//   vad/ core.ts               voice activity detection; what every entry exports
//   index.ts                   the default entry point
//   node/ worker/              the Node and Workers entry points: the default one (its module,
//                              one copy of the library) with their own wasm source
//   browser/ */for-*.ts        the browser entry, and the importers' entry points per runtime
//                              (onnx/for-node.ts imports node/index.ts)
//   cli/                       the command line
//
// Known exception: graph/ and onnx/ import each other (the graph runtime reads ONNX protobuf;
// importOnnx falls back to the graph runtime). Everything else is strictly ordered.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ORDER: string[][] = [
  ['errors.ts'],
  ['runtime'],
  ['layers'],
  ['stream'],
  ['model'],
  ['formats'],
  ['train'],
  ['graph', 'onnx', 'tfjs'],
  ['vad', 'core.ts'],
  ['index.ts'],
  ['node', 'worker'],
  ['browser', 'for-*.ts'],
  ['cli'],
];
const ALLOWED_SIDEWAYS = new Set(['graph->onnx', 'onnx->graph']);

const SRC = join(__dirname, '..', 'src');
const rank = new Map(ORDER.flatMap((units, i) => units.map((u) => [u, i] as const)));

/** The unit a path under src/ belongs to: its top folder, or the file itself at the top. */
function unitOf(pathInSrc: string): string {
  if (/^[a-z]+\/for-[a-z]+\.(ts|js)$/.test(pathInSrc)) return 'for-*.ts';
  const [first] = pathInSrc.split('/');
  return first.endsWith('.js') ? first.replace(/\.js$/, '.ts') : first;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(name) ? [p] : [];
  });
}

/** Every relative module specifier a file imports or re-exports, statically or dynamically. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,   // import … from, export … from
    /^\s*import\s*['"]([^'"]+)['"]/gm,                               // import './side-effect'
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,                           // import('…')
    /^\s*declare\s+module\s+['"]([^'"]+)['"]/gm,                     // augmentations name a module too
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]);
  return specs.filter((s) => s.startsWith('.'));
}

interface Edge { file: string; from: string; to: string; spec: string }

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const inSrc = relative(SRC, file);
    for (const spec of importsOf(file)) {
      const target = relative(SRC, normalize(join(dirname(file), spec)));
      if (target.startsWith('..')) continue;   // outside src/ (none today)
      const from = unitOf(inSrc), to = unitOf(target);
      if (from !== to) out.push({ file: inSrc, from, to, spec });
    }
  }
  return out;
}

describe('src/ layering', () => {
  const all = edges();

  it('finds the imports it checks', () => {
    // A guard against a scanner that silently matches nothing.
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((e) => e.from === 'stream' && e.to === 'layers')).toBe(true);
  });

  it('places every folder and top-level file of src/ in the order', () => {
    const units = readdirSync(SRC).filter((n) => n.endsWith('.ts') || statSync(join(SRC, n)).isDirectory());
    expect(units.filter((u) => !rank.has(u))).toEqual([]);
  });

  it('layers/ imports neither stream/ nor train/', () => {
    const bad = all.filter((e) => e.from === 'layers' && (e.to === 'stream' || e.to === 'train'));
    expect(bad.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('no folder imports one above it or beside it', () => {
    const bad = all.filter((e) => {
      if (ALLOWED_SIDEWAYS.has(`${e.from}->${e.to}`)) return false;
      return !(rank.get(e.to)! < rank.get(e.from)!);
    });
    expect(bad.map((e) => `${e.file} (${e.from}) imports ${e.spec} (${e.to})`)).toEqual([]);
  });
});
