// Every operator the graph runtime runs, by ONNX op_type (default domain). One file per family.

import type { Op } from '../op.js';
import { elementwiseOps } from './elementwise.js';
import { shapeOps } from './shape.js';
import { reduceOps } from './reduce.js';
import { convOps } from './conv.js';
import { matmulOps } from './matmul.js';
import { recurrentOps } from './recurrent.js';

export const OPS: Readonly<Record<string, Op>> = Object.freeze(Object.assign(Object.create(null) as Record<string, Op>, {
  ...elementwiseOps, ...shapeOps, ...reduceOps, ...convOps, ...matmulOps, ...recurrentOps,
}));
