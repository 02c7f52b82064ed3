// Human descriptions of models: one line per layer, sizes in bytes, aligned tables.

import type { LayerDescription, SaveDtype } from '../node/index.js';

/** "32 → 256, 2 layers, bidirectional": what a layer maps from and to. */
export function layerShape(d: LayerDescription): string {
  const o = d as unknown as Record<string, unknown>;
  switch (d.type) {
    case 'embedding': return `${o.numEmbeddings} ids → ${o.embeddingDim}`;
    case 'linear': return `${o.inFeatures} → ${o.outFeatures}${o.bias === false ? ', no bias' : ''}`;
    default: {
      const extras: string[] = [];
      if (((o.numLayers as number) ?? 1) > 1) extras.push(`${o.numLayers} layers`);
      if (o.bidirectional === true) extras.push('bidirectional');
      if (o.peephole === true) extras.push('peephole');
      if (o.nonlinearity === 'relu') extras.push('relu');
      if (d.type === 'gru' && o.linearBeforeReset === false) extras.push('reset before linear (ONNX default)');
      if (o.bias === false) extras.push('no bias');
      if (o.dilation !== undefined) extras.push(`dilation ${[o.dilation].flat().join(', ')}`);
      if (o.learnLeak === true) extras.push(`learned leak (from α ${o.leak ?? 0.5})`);
      else if (o.leak !== undefined) extras.push(`leak α ${o.leak}`);
      return `${o.inputSize} → ${o.hiddenSize}${extras.length ? `, ${extras.join(', ')}` : ''}`;
    }
  }
}

/** A one-line summary of a whole model: "embedding 96→32 → LSTM 256 → linear 96". */
export function modelSummary(layers: LayerDescription[]): string {
  return layers.map((d) => {
    const o = d as unknown as Record<string, number>;
    if (d.type === 'embedding') return `embedding ${o.numEmbeddings}×${o.embeddingDim}`;
    if (d.type === 'linear') return `linear ${o.outFeatures}`;
    return `${d.type.toUpperCase()} ${o.hiddenSize}${(o.numLayers ?? 1) > 1 ? `×${o.numLayers}` : ''}`;
  }).join(' → ');
}

export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export const count = (n: number): string => n.toLocaleString('en-US');

export const DTYPE_NOTE: Record<SaveDtype, string> = {
  f32: 'f32',
  f16: 'f16 (half precision)',
  int8: 'int8 (recurrent and linear matrices as int8 with an f32 scale per row; embeddings and biases f32)',
};

/** Rows of cells as aligned columns; `right` lists the columns aligned to the right. */
export function table(rows: string[][], right: number[] = [], indent = '  '): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  return rows.map((r) => indent + r.map((cell, c) => {
    const pad = ' '.repeat(widths[c] - [...cell].length);
    return right.includes(c) ? pad + cell : cell + pad;
  }).join('  ').trimEnd()).join('\n');
}
