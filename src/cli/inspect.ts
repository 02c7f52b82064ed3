// recur inspect FILE: what a model file holds — its layers, their shapes, dtypes and parameter
// counts, its size and every tensor — read from the file without building the model when it is
// a safetensors file (recur model, PyTorch state dict, or training checkpoint). An ONNX file that
// is not a chain of recur's layers but runs on the graph runtime (Silero VAD) is described as the
// runtime sees it (graph.ts).

import { parseSafetensors, saveModel, type LayerDescription, type SafetensorsFile, type SequentialDescription } from '../node/index.js';
import { CliError, type CommandSpec, type Parsed } from './args.js';
import { DTYPE_NOTE, bytes, count, layerShape, table } from './describe.js';
import { GraphOnlyError, detectFormat, fileDtype, inFile, loadAnyModel, readBytes, readSidecar, sileroHint, type Sidecar } from './files.js';
import { describeGraph, modelHeader, shapeText, type GraphReport } from './graph.js';
import { write } from './io.js';
import { modelSpectra, spectraTable, type MatrixSpectrum } from './memory.js';

export const spec: CommandSpec = {
  name: 'inspect',
  positionals: ['FILE'],
  options: { json: { type: 'boolean' }, 'drop-softmax': { type: 'boolean' } },
};

export const help = `Usage: recur inspect FILE [--json]

Prints what a model file holds: format, size, weight dtype, parameter count, each layer (type,
shape, parameters, dtype), each tensor (dtype, shape, bytes) and, for recurrent layers, the
spectral radius and largest singular value of each gate block of every W_hh (how far back the
layer can carry a signal: below 1 it fades, above 1 it may grow). FILE is a recur or PyTorch
.safetensors file, a training checkpoint, an .onnx file or a TensorFlow.js model.json.

An ONNX file that is not a chain of recur's layers (Silero VAD, …) is described as recur's graph
runtime sees it: producer and opset, nodes and operators (sub-graphs included), inputs and
outputs with their types and declared shapes, the state inputs paired with outputs
(state → stateN), and each If with what decides it.

      --json             the same as one JSON object
  -h, --help             this text`;

interface TensorInfo { name: string; dtype: string; shape: number[]; bytes: number }
interface LayerInfo { name: string; type: string; shape: string; parameters: number; dtype: string }
interface Report {
  file: string; bytes: number; format: string; version?: string; dtype: string; parameters: number;
  layers: LayerInfo[]; tensors: TensorInfo[]; vocabulary?: { size: number; file: string };
  checkpoint?: Record<string, unknown>; notes: string[];
  /** ρ and σ₁ of each gate block of every W_hh (power iteration); absent when the model cannot be built. */
  spectra?: MatrixSpectrum[];
}

export async function inspect({ positionals, values }: Parsed): Promise<number> {
  const path = positionals[0];
  const data = await readBytes(path, 'model file');
  const format = detectFormat(path, data);
  const sidecar = await readSidecar(path);
  let report: Report;
  if (format === 'onnx' || format === 'tfjs') {
    try {
      report = await importedReport(path, data.byteLength, values['drop-softmax'] === true);
    } catch (err) {
      if (!(err instanceof GraphOnlyError)) throw err;
      const graph = graphReport(path, data, err);
      await write(values.json ? `${JSON.stringify(graph, null, 1)}\n` : renderGraph(graph));
      return 0;
    }
  } else if (format === undefined) {
    throw new CliError(`cannot tell what kind of file ${path} is: recur reads .safetensors (recur or PyTorch), .onnx and TensorFlow.js model.json files`);
  } else {
    let file: SafetensorsFile;
    try { file = parseSafetensors(data); } catch (err) { throw inFile(err, path); }
    report = safetensorsReport(path, data.byteLength, file, sidecar);
  }
  if (sidecar?.vocab) report.vocabulary = { size: sidecar.vocab.size, file: sidecar.path };
  if (report.layers.some((l) => l.type === 'lstm' || l.type === 'gru' || l.type === 'rnn') && format !== 'checkpoint') {
    // The model is built only for this (the rest is read from the file); a file the layers
    // refuse keeps its report without spectra, and says why.
    try {
      const loaded = await loadAnyModel(path);
      try { report.spectra = modelSpectra(loaded.model); } finally { loaded.model.dispose(); }
    } catch (err) {
      report.notes.push(`no spectra: ${(err as Error).message}`);
    }
  }
  await write(values.json ? `${JSON.stringify(report, null, 1)}\n` : render(report));
  return 0;
}

function safetensorsReport(path: string, size: number, file: SafetensorsFile, sidecar: Sidecar | undefined): Report {
  const meta = file.metadata;
  const tensors: TensorInfo[] = Object.entries(file.tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: t.data.byteLength }));
  const notes: string[] = [];
  let description: SequentialDescription | undefined;
  let format: string;
  let checkpoint: Record<string, unknown> | undefined;
  if (meta.format === 'recur') {
    format = 'recur model';
    description = json(meta.model, path, 'model');
  } else if (meta.format === 'recur-checkpoint') {
    format = 'recur training checkpoint';
    description = json(meta.model, path, 'model');
    checkpoint = json(meta.trainer, path, 'trainer');
    if (meta.cli) checkpoint = { ...checkpoint, cli: json(meta.cli, path, 'cli') };
  } else {
    format = `PyTorch state dict${meta.format ? ` (format "${meta.format}")` : ''}`;
    description = sidecar?.architecture;
    notes.push(description ? `architecture from ${sidecar!.path}` : 'no architecture: to run it, give one in a .json beside it ({"architecture": {"layers": [...]}})');
  }
  // Parameters are the state dict's tensors: an int8 matrix's row scales and a checkpoint's
  // optimizer buffers are not parameters.
  const isScale = (n: string) => n.endsWith('_scale') && file.tensors[n.slice(0, -6)]?.dtype === 'I8';
  const params = tensors.filter((t) => !isScale(t.name) && !t.name.startsWith('optimizer.'));
  const elements = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
  const layers: LayerInfo[] = (description?.layers ?? []).map((d: LayerDescription) => {
    const own = params.filter((t) => t.name.startsWith(`${d.name}.`));
    const dtypes = [...new Set(own.sort((a, b) => elements(b) - elements(a)).map((t) => dtypeName(t.dtype)))];
    return { name: d.name, type: d.type, shape: layerShape(d), parameters: own.reduce((n, t) => n + elements(t), 0), dtype: dtypes.join('+') };
  });
  const dtype = fileDtype(file);
  return {
    file: path, bytes: size, format, ...(meta.version ? { version: meta.version } : {}),
    dtype, parameters: params.reduce((n, t) => n + elements(t), 0), layers, tensors, checkpoint, notes,
  };
}

async function importedReport(path: string, size: number, dropSoftmax: boolean): Promise<Report> {
  const loaded = await loadAnyModel(path, { dropSoftmax });
  try {
    const { layers } = loaded.model.toJSON();
    const state = loaded.model.stateDict();
    // The tensors as `recur convert` would write them (PyTorch's names and shapes).
    const converted = parseSafetensors(saveModel(loaded.model));
    const tensors = Object.entries(converted.tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: t.data.byteLength }));
    return {
      file: path, bytes: size, format: loaded.format === 'onnx' ? 'ONNX model' : 'TensorFlow.js model',
      dtype: 'f32', parameters: loaded.model.parameterCount,
      layers: layers.map((d) => {
        const n = Object.entries(state).filter(([k]) => k.startsWith(`${d.name}.`)).reduce((a, [, v]) => a + v.length, 0);
        return { name: d.name, type: d.type, shape: layerShape(d), parameters: n, dtype: 'f32' };
      }),
      tensors,
      notes: [...loaded.notes, `layers and tensors as recur imports them; recur convert ${path} OUT.safetensors writes them as a recur model`],
    };
  } finally {
    loaded.model.dispose();
  }
}

/** An ONNX file that runs on the graph runtime but is not a chain of recur's layers. */
interface GraphFileReport extends GraphReport {
  file: string; bytes: number; format: 'ONNX graph';
  /** How recur runs it; null when the graph runtime could not plan it (see planned). */
  runtime: string | null;
  /** The input shapes recur's graph runtime planned it for (sizes the file leaves open guessed),
   *  and its reason when it could not. */
  planned: { shapes?: Record<string, number[]>; error?: string };
  /** false: a recur model file holds layers only. */
  convertible: false;
  /** Why the layer importer cannot make it a chain of layers. */
  reason: string;
  notes: string[];
}

function graphReport(path: string, data: Uint8Array, err: GraphOnlyError): GraphFileReport {
  const decoded = err.graph.decoded;
  if (!decoded?.nodes) throw new CliError(`${path}: this recur's graph runtime does not expose the graph it decoded, so inspect cannot list its nodes`);
  const described = describeGraph({ ...modelHeader(data), opset: err.graph.opset, graph: decoded }, err.graph);
  const hint = sileroHint(path, err.graph.inputs);
  return {
    file: path, bytes: data.byteLength, format: 'ONNX graph',
    ...described,
    runtime: err.runs ? "recur's graph runtime: importOnnx or loadOnnxGraph from recur/onnx" : null,
    planned: err.trial,
    convertible: false, reason: err.reason,
    notes: hint && err.runs ? [`Silero VAD${hint.slice(hint.indexOf(':'))}`] : [],
  };
}

function renderGraph(r: GraphFileReport): string {
  const label = (name: string) => `  ${name.padEnd(12)}`;
  const states = Object.entries(r.states);
  const lines = [`${r.file}: ONNX graph, not a chain of recur's layers`];
  // (r.runtime is null when the graph runtime could not plan it either.)
  lines.push(`${label('size')}${bytes(r.bytes)} (${count(r.bytes)} bytes)`);
  lines.push(`${label('producer')}${r.producer || '(not given)'}, opset ${r.opset}, IR version ${r.irVersion}`);
  lines.push(`${label('nodes')}${count(r.nodes)}, sub-graphs included`);
  lines.push(...wrap(Object.entries(r.operators).map(([op, n]) => `${op} ${n},`), label('operators')));
  lines[lines.length - 1] = lines[lines.length - 1].replace(/,$/, '');
  lines.push(`${label('states')}${states.length ? states.map(([s, n]) => `${s} → ${n}`).join(', ')
    : 'none recognised (a state input pairs with the output named after it: state → stateN, h → hn)'}`);
  const shapes = r.planned.shapes ? Object.entries(r.planned.shapes).map(([name, dims]) => `${name} [${dims.join(', ')}]`).join(', ') : '';
  if (r.runtime) lines.push(...wrap(words(`${r.runtime} (planned for ${shapes})`), label('runs on')));
  else lines.push(...wrap(words(`no: recur's graph runtime has all its operators, but ${shapes ? `planning it for ${shapes} failed: ` : ''}${r.planned.error}`), label('runs on')));
  lines.push(...wrap(words(`no: a recur model file holds a chain of recur's layers; the layer importer says: ${r.reason}`), label('convert')));
  for (const n of r.notes) lines.push(`${label('note')}${n}`);
  const values = (title: string, vs: GraphReport['inputs']) => table([[title, 'type', 'shape'], ...vs.map((v) => [v.name, v.type, shapeText(v.shape)])]);
  lines.push('', values('input', r.inputs), '', values('output', r.outputs));
  if (r.ifs.length) {
    // The Ifs at the top of the graph in full; those inside branches summed up.
    const top = r.ifs.filter((i) => i.in === '');
    const inner = r.ifs.filter((i) => i.in !== '');
    const nodes = (n: number) => `${count(n)} node${n === 1 ? '' : 's'}`;
    const decided = (i: GraphReport['ifs'][number]) => (i.on.length ? `the value of ${i.on.join(', ')}` : 'shapes and constants');
    lines.push('', table([['If', 'decided by', 'then', 'else'],
      ...top.map((i) => [i.name, decided(i), nodes(i.thenNodes), nodes(i.elseNodes)])]));
    if (inner.length) {
      const byInputs = inner.filter((i) => i.on.length);
      lines.push(`  and ${inner.length} If${inner.length > 1 ? 's' : ''} inside those branches, ` +
        (byInputs.length ? `${byInputs.length} decided by the value of ${[...new Set(byInputs.flatMap((i) => i.on))].join(', ')}, ${inner.length - byInputs.length} by shapes and constants`
          : 'all decided by shapes and constants'));
    }
    const valued = [...new Set(r.ifs.flatMap((i) => i.on))];
    lines.push(...wrap(words(valued.length
      ? `An If decided by an input's value runs the branch it picks on each call, or folds away when that input is fixed (loadOnnxGraph's fixedInputs: { ${valued[0]}: … }); one decided by shapes and constants is resolved when a plan is made.`
      : 'Ifs decided by shapes and constants are resolved when a plan is made.'), '  '));
  }
  return `${lines.join('\n')}\n`;
}

/** The words of a text, a bracketed shape ([2, 1, 128]) counting as one. */
const words = (text: string): string[] => text.match(/(?:\[[^\]]*\]|[^\s[])+/g) ?? [];

/** Words (or list items) in lines of at most `width` characters, the first line after `label`,
 *  the others indented as far. */
function wrap(words: string[], label: string, width = 100): string[] {
  const out: string[] = [];
  let line = label, empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) { out.push(line); line = ' '.repeat(label.length); empty = true; }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  out.push(line);
  return out;
}

function json<T>(text: string | undefined, path: string, key: string): T {
  try {
    return JSON.parse(text ?? '') as T;
  } catch {
    throw new CliError(`${path}: metadata "${key}" is not valid JSON`);
  }
}

const dtypeName = (d: string) => ({ F32: 'f32', F16: 'f16', BF16: 'bf16', I8: 'int8' } as Record<string, string>)[d] ?? d.toLowerCase();

function render(r: Report): string {
  const lines = [`${r.file}: ${r.format}${r.version ? ` (version ${r.version})` : ''}`];
  lines.push(`  size        ${bytes(r.bytes)} (${count(r.bytes)} bytes)`);
  lines.push(`  weights     ${DTYPE_NOTE[r.dtype as keyof typeof DTYPE_NOTE] ?? r.dtype}`);
  lines.push(`  parameters  ${count(r.parameters)}`);
  if (r.vocabulary) lines.push(`  vocabulary  ${r.vocabulary.size} characters (${r.vocabulary.file})`);
  if (r.checkpoint) {
    const c = r.checkpoint as { optimizer?: string; updates?: number; lr?: number; cli?: { step?: number; steps?: number } };
    lines.push(`  training    ${c.optimizer}, ${c.updates} updates${c.cli?.step !== undefined ? `, step ${c.cli.step} of ${c.cli.steps}` : ''}, lr ${c.lr}`);
  }
  for (const n of r.notes) lines.push(`  note        ${n}`);
  if (r.layers.length) {
    lines.push('', table([['layer', 'type', 'shape', 'parameters', 'dtype'],
      ...r.layers.map((l) => [l.name, l.type, l.shape, count(l.parameters), l.dtype])], [3]));
  }
  // A checkpoint's optimizer buffers (Adam: two per parameter) are summed up in one row.
  const buffers = r.tensors.filter((t) => /^optimizer\.\d+$/.test(t.name));
  const shown = r.tensors.filter((t) => !buffers.includes(t));
  const rows = shown.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, count(t.bytes)]);
  if (buffers.length) rows.push([`optimizer.0 … optimizer.${buffers.length - 1}`, 'F32', `${buffers.length} buffers`, count(buffers.reduce((n, t) => n + t.bytes, 0))]);
  lines.push('', table([['tensor', 'dtype', 'shape', 'bytes'], ...rows], [3]));
  if (r.spectra?.length) {
    lines.push('', spectraTable(r.spectra));
    if (r.spectra.some((s) => !s.converged)) lines.push('  ~ the power iteration did not settle on an eigenvalue: estimated by Gelfand\'s formula, ‖Wᵏv‖^(1/k)');
  }
  return `${lines.join('\n')}\n`;
}
