/**
 * The named tensors of an SSE layer: one table that the reference, the plan, the host bindings
 * and the runtimes all read, so a tensor has the same name and logical shape everywhere.
 *
 * Legend: B batch, T tokens, H heads, K key dim, V value dim, N routed partitions,
 * P = (shared ? 1 : 0) + N state partitions, S sequences (B, or cu_seqlens.length - 1 in varlen).
 * Logical shapes are always [B, T, H, D]; layout BHTD only changes how the kernels address memory.
 */
import { type KernelSpec, partitionCount } from './kernel-spec.js';

/** Runtime sizes. With `cuSeqlens`, B must be 1 and T the total token count (fla's convention). */
export interface ProblemShape {
  B: number;
  T: number;
  cuSeqlens?: number[];
}

export type TensorRole = 'input' | 'output' | 'cotangent' | 'gradient';
/** 'io': the spec's dtype; 'f32': states and accumulators, always f32. */
export type TensorStorage = 'io' | 'f32';

export interface TensorInfo {
  name: string;
  role: TensorRole;
  shape: number[];
  /** Dimension names, same length as shape. */
  dims: string[];
  storage: TensorStorage;
  /** Forward input this tensor is the gradient of (gradients only). */
  gradOf?: string;
}

export function sequenceCount(shape: ProblemShape): number {
  return shape.cuSeqlens ? shape.cuSeqlens.length - 1 : shape.B;
}

/** Whether the update rule carries a gate tensor, and its trailing width (K for gla, 1 for scalar). */
export function gateWidth(spec: KernelSpec): 0 | 1 | 'K' {
  switch (spec.update) {
    case 'gla':
      return 'K';
    case 'decay':
    case 'gdn':
      return 1;
    case 'linear':
      return 0;
  }
}

function tokenTensor(name: string, role: TensorRole, spec: KernelSpec, shape: ProblemShape, last: 'K' | 'V' | 1): TensorInfo {
  const { B, T } = shape;
  const H = spec.heads;
  if (last === 1) return { name, role, shape: [B, T, H], dims: ['B', 'T', 'H'], storage: 'io' };
  const D = last === 'K' ? spec.keyDim : spec.valueDim;
  return { name, role, shape: [B, T, H, D], dims: ['B', 'T', 'H', last], storage: 'io' };
}

/** Forward inputs, in binding order. */
export function forwardInputs(spec: KernelSpec, shape: ProblemShape): TensorInfo[] {
  const out: TensorInfo[] = [];
  const gw = gateWidth(spec);
  out.push(tokenTensor('q', 'input', spec, shape, 'K'));
  out.push(tokenTensor('k', 'input', spec, shape, 'K'));
  out.push(tokenTensor('v', 'input', spec, shape, 'V'));
  if (gw !== 0) out.push(tokenTensor('g', 'input', spec, shape, gw));
  if (spec.update === 'gdn') out.push(tokenTensor('beta', 'input', spec, shape, 1));
  if (spec.state.partitions > 0 && spec.state.routedInputs === 'own') {
    out.push(tokenTensor('qr', 'input', spec, shape, 'K'));
    out.push(tokenTensor('kr', 'input', spec, shape, 'K'));
    if (gw !== 0) out.push(tokenTensor('gr', 'input', spec, shape, gw));
    if (spec.update === 'gdn') out.push(tokenTensor('betar', 'input', spec, shape, 1));
  }
  if (spec.route) {
    const N = spec.state.partitions;
    out.push(
      spec.route.logits === 'per_token'
        ? { name: 'e', role: 'input', shape: [shape.B, shape.T, N], dims: ['B', 'T', 'N'], storage: 'io' }
        : { name: 'e', role: 'input', shape: [shape.B, shape.T, spec.heads, N], dims: ['B', 'T', 'H', 'N'], storage: 'io' },
    );
  }
  if (spec.initialState) out.push(stateTensor('h0', 'input', spec, shape));
  return out;
}

function stateTensor(name: string, role: TensorRole, spec: KernelSpec, shape: ProblemShape): TensorInfo {
  return {
    name,
    role,
    shape: [sequenceCount(shape), partitionCount(spec), spec.heads, spec.keyDim, spec.valueDim],
    dims: ['S', 'P', 'H', 'K', 'V'],
    storage: 'f32',
  };
}

/** Forward outputs: o [B,T,H,V] and, when the spec asks for it, ht [S,P,H,K,V]. */
export function forwardOutputs(spec: KernelSpec, shape: ProblemShape): TensorInfo[] {
  const out = [tokenTensor('o', 'output', spec, shape, 'V')];
  if (spec.finalState) out.push(stateTensor('ht', 'output', spec, shape));
  return out;
}

/** Cotangents fed to the backward pass: do, and dht when the final state is an output. */
export function backwardCotangents(spec: KernelSpec, shape: ProblemShape): TensorInfo[] {
  const out = [tokenTensor('do', 'cotangent', spec, shape, 'V')];
  if (spec.finalState) out.push(stateTensor('dht', 'cotangent', spec, shape));
  return out;
}

/** Gradients of every forward input: d<name>, same shape; dh0 is f32 like h0. */
export function gradients(spec: KernelSpec, shape: ProblemShape): TensorInfo[] {
  return forwardInputs(spec, shape).map((t) => ({ ...t, name: `d${t.name}`, role: 'gradient', gradOf: t.name }));
}

export function elementCount(t: { shape: number[] }): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Checks a problem shape against a spec; returns messages naming the offending value (empty = fine). */
export function validateShape(spec: KernelSpec, shape: ProblemShape): string[] {
  const errs: string[] = [];
  if (!Number.isInteger(shape.B) || shape.B < 1) errs.push(`B must be a positive integer, got ${shape.B}`);
  if (!Number.isInteger(shape.T) || shape.T < 1) errs.push(`T must be a positive integer, got ${shape.T}`);
  const cu = shape.cuSeqlens;
  if (cu) {
    if (shape.B !== 1) errs.push(`varlen inputs (cu_seqlens) need B = 1, got B = ${shape.B}`);
    if (cu.length < 2) errs.push(`cu_seqlens needs at least 2 entries, got ${cu.length}`);
    if (cu[0] !== 0) errs.push(`cu_seqlens must start at 0, got ${cu[0]}`);
    for (let i = 1; i < cu.length; i++) {
      if (!Number.isInteger(cu[i]) || cu[i] <= cu[i - 1]) {
        errs.push(`cu_seqlens must be strictly increasing integers (segments of length >= 1); entry ${i} is ${cu[i]} after ${cu[i - 1]}`);
        break;
      }
    }
    if (cu[cu.length - 1] !== shape.T) errs.push(`cu_seqlens must end at T = ${shape.T}, got ${cu[cu.length - 1]}`);
  }
  return errs;
}
