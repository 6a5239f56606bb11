/**
 * Top-k routing over the N routed partitions, and its backward.
 *
 * p = softmax(e) per token (and per head with per_head logits); W = top-k_w(p), R = top-k_r(p), ties
 * broken by the lower partition index. write a_i = p_i (or 1 without scaleK) on W, else 0;
 * read b_i = p_i (or 1 without scaleQ) on R, else 0. The selection is piecewise constant, so the
 * backward only flows through p: de = p ⊙ (dp − ⟨p, dp⟩).
 */
import type { KernelSpec } from '../kernel-spec.js';
import type { ProblemShape } from '../tensors.js';

/** Routing weights and masks, each [B, T, N] (per_token) or [B, T, H, N] (per_head). */
export interface Routing {
  p: Float64Array;
  write: Float64Array;
  read: Float64Array;
  writers: Uint8Array;
  readers: Uint8Array;
}

/** Number of routing rows (tokens, or token-heads for per_head logits). */
export function routingRows(spec: KernelSpec, shape: ProblemShape): number {
  return shape.B * shape.T * (spec.route?.logits === 'per_head' ? spec.heads : 1);
}

/** Indices of the k largest entries of p[off .. off+N), ties to the lower index, in selection order. */
export function topK(p: ArrayLike<number>, off: number, N: number, k: number): number[] {
  const idx = Array.from({ length: N }, (_, i) => i);
  idx.sort((a, b) => p[off + b] - p[off + a] || a - b);
  return idx.slice(0, k);
}

export function route(spec: KernelSpec, shape: ProblemShape, e: Float64Array): Routing | null {
  const r = spec.route;
  if (!r) return null;
  const N = spec.state.partitions;
  const rows = routingRows(spec, shape);
  if (e.length !== rows * N) throw new Error(`route: e has ${e.length} elements, expected ${rows} rows × N ${N}`);
  if (r.write < 1 || r.write > N || r.read < 1 || r.read > N)
    throw new Error(`route: k_w ${r.write} and k_r ${r.read} must lie in [1, N ${N}]`);
  const p = new Float64Array(rows * N);
  const write = new Float64Array(rows * N);
  const read = new Float64Array(rows * N);
  const writers = new Uint8Array(rows * N);
  const readers = new Uint8Array(rows * N);
  for (let row = 0; row < rows; row++) {
    const off = row * N;
    let m = -Infinity;
    for (let i = 0; i < N; i++) m = Math.max(m, e[off + i]);
    let z = 0;
    for (let i = 0; i < N; i++) z += p[off + i] = Math.exp(e[off + i] - m);
    for (let i = 0; i < N; i++) p[off + i] /= z;
    for (const i of topK(p, off, N, r.write)) {
      writers[off + i] = 1;
      write[off + i] = r.scaleK ? p[off + i] : 1;
    }
    for (const i of topK(p, off, N, r.read)) {
      readers[off + i] = 1;
      read[off + i] = r.scaleQ ? p[off + i] : 1;
    }
  }
  return { p, write, read, writers, readers };
}

/** Softmax backward per row: de_i = p_i (dp_i − Σ_j p_j dp_j). `dp` has the routing layout. */
export function softmaxBackward(p: Float64Array, dp: Float64Array, N: number): Float64Array {
  const de = new Float64Array(p.length);
  for (let off = 0; off < p.length; off += N) {
    let s = 0;
    for (let i = 0; i < N; i++) s += p[off + i] * dp[off + i];
    for (let i = 0; i < N; i++) de[off + i] = p[off + i] * (dp[off + i] - s);
  }
  return de;
}
