/**
 * The resolved, fully defaulted description of one SSE layer's kernels.
 *
 * Plain JSON-serialisable data: everything downstream (reference, plan, templates, bindings,
 * tuner) reads this and nothing else from the spec. `specHash` gives it a stable identity.
 */
import { createHash } from 'node:crypto';

export type DType = 'f32' | 'f16' | 'bf16';
/** gla: per-channel log-decay g ∈ R^K; decay: scalar log-decay; linear: none; gdn: gated delta rule. */
export type UpdateRule = 'gla' | 'decay' | 'linear' | 'gdn';
export type Impl = 'mask' | 'varlen';
export type Pass = 'forward' | 'backward';
export type Layout = 'BTHD' | 'BHTD';
export type ChunkSize = 16 | 32 | 64 | 128;
export const CHUNK_SIZES: readonly ChunkSize[] = [16, 32, 64, 128];
export const CUDA_ARCHS = ['sm_80', 'sm_86', 'sm_89', 'sm_90', 'sm_90a'] as const;
export type CudaArch = (typeof CUDA_ARCHS)[number];

export interface StateSpec {
  /** An always-on shared partition, updated by every token. */
  shared: boolean;
  /** Number of routed partitions N (0 only when `shared` is on: plain linear attention). */
  partitions: number;
  /** 'own': the routed branch has its own q/k/gate (and β) inputs; 'shared': it reuses the shared ones. */
  routedInputs: 'own' | 'shared';
}

export interface RouteSpec {
  /** 'per_token': logits e [B,T,N] shared by all heads; 'per_head': e [B,T,H,N]. */
  logits: 'per_token' | 'per_head';
  /** k_w: partitions each token writes (top-k of softmax(e)). */
  write: number;
  /** k_r: partitions each token reads. */
  read: number;
  /** Scale k by the writer probability (fla: emulk); otherwise the write weight is 1. */
  scaleK: boolean;
  /** Scale the routed read by the reader probability (fla: emulq); otherwise the read weight is 1. */
  scaleQ: boolean;
}

export interface KernelSpec {
  name: string;
  heads: number;
  keyDim: number;
  valueDim: number;
  layout: Layout;
  dtype: DType;
  update: UpdateRule;
  state: StateSpec;
  /** Present iff state.partitions > 0. */
  route: RouteSpec | null;
  /** Multiplies q·S; defaults to 1/sqrt(keyDim). */
  scale: number;
  /** Candidate chunk sizes; one entry = fixed, several = left to the tuner. Sorted ascending. */
  chunk: ChunkSize[];
  impls: Impl[];
  passes: Pass[];
  initialState: boolean;
  finalState: boolean;
  targets: { cuda: { archs: CudaArch[] } | null; wgsl: boolean };
}

/** Number of state partitions per (sequence, head): shared (if on) first, then the N routed ones. */
export function partitionCount(spec: KernelSpec): number {
  return (spec.state.shared ? 1 : 0) + spec.state.partitions;
}

/** Canonical JSON (sorted keys) so the hash does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Stable content hash of a KernelSpec: 16 hex digits of SHA-256 over its canonical JSON. */
export function specHash(spec: KernelSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}
