/**
 * Index helpers shared by every part of the float64 reference.
 *
 * Legend: B batch, T tokens, H heads, K key dim, V value dim, N routed partitions,
 * P = (shared ? 1 : 0) + N state partitions, S sequences.
 * Token tensors are row-major [B, T, H, D] (D = K, V or 1); states are [S, P, H, K, V];
 * routing tensors are [B, T, N] (per_token logits) or [B, T, H, N] (per_head logits).
 */
import type { KernelSpec, UpdateRule } from '../kernel-spec.js';
import { partitionCount } from '../kernel-spec.js';
import type { ProblemShape } from '../tensors.js';

export type TensorMap = Record<string, Float64Array>;

/** One sequence: row `b` of the batch, tokens [bos, eos). Batched: seq = b, bos = 0, eos = T. */
export interface Sequence {
  seq: number;
  b: number;
  bos: number;
  eos: number;
}

export function sequences(shape: ProblemShape): Sequence[] {
  const cu = shape.cuSeqlens;
  if (cu) return cu.slice(0, -1).map((bos, seq) => ({ seq, b: 0, bos, eos: cu[seq + 1] }));
  return Array.from({ length: shape.B }, (_, b) => ({ seq: b, b, bos: 0, eos: shape.T }));
}

/** Trailing width of the gate tensor: K (gla), 1 (decay, gdn) or 0 (linear). */
export function gateDim(spec: KernelSpec): number {
  return spec.update === 'gla' ? spec.keyDim : spec.update === 'linear' ? 0 : 1;
}

export function hasGate(rule: UpdateRule): boolean {
  return rule !== 'linear';
}

/** Dimensions every per-(sequence, head) computation needs. */
export interface Dims {
  rule: UpdateRule;
  K: number;
  V: number;
  /** Gate width per token: K, 1 or 0. */
  GW: number;
  scale: number;
}

export function dimsOf(spec: KernelSpec): Dims {
  return { rule: spec.update, K: spec.keyDim, V: spec.valueDim, GW: gateDim(spec), scale: spec.scale };
}

/** Flat index of token (b, t, h) in a [B, T, H, ...] tensor, before multiplying by the trailing width. */
export function tokenIndex(shape: ProblemShape, H: number, b: number, t: number, h: number): number {
  return (b * shape.T + t) * H + h;
}

/** Offset of the N routing weights of token (b, t, h) in a [B,T,N] / [B,T,H,N] routing tensor. */
export function routeOffset(spec: KernelSpec, shape: ProblemShape, b: number, t: number, h: number): number {
  const N = spec.state.partitions;
  return spec.route?.logits === 'per_head' ? ((b * shape.T + t) * spec.heads + h) * N : (b * shape.T + t) * N;
}

/** Offset of state (s, partition, h) in an [S, P, H, K, V] tensor. */
export function stateOffset(spec: KernelSpec, s: number, partition: number, h: number): number {
  return ((s * partitionCount(spec) + partition) * spec.heads + h) * spec.keyDim * spec.valueDim;
}

/** State-partition index (axis P) of routed partition i (0-based among the routed ones). */
export function routedPartition(spec: KernelSpec, i: number): number {
  return (spec.state.shared ? 1 : 0) + i;
}
