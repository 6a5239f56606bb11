/**
 * Deterministic seeded inputs: same (spec, shape, seed) → bit-identical tensors on any machine.
 *
 * PRNG: xoshiro128** (32-bit integer ops only) seeded per tensor from splitmix32(seed ⊕ hash(name)),
 * so adding or removing one tensor never shifts the values of another. Normals by Box–Muller.
 */
import type { KernelSpec } from '../kernel-spec.js';
import { backwardCotangents, elementCount, forwardInputs, type ProblemShape, type TensorInfo } from '../tensors.js';
import type { TensorMap } from './layout.js';

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A seeded generator of uniforms in (0, 1) and standard normals. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number, stream = '') {
    const sm = splitmix32((seed ^ fnv1a(stream)) >>> 0);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return r;
  }

  /** Uniform in the open interval (0, 1), 53 bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  normals(n: number, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = std * this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const logsigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Rescales each length-D row to unit L2 norm (gdn keys, as fla's gated delta rule expects). */
function normalizeRows(x: Float64Array, D: number): Float64Array {
  for (let r = 0; r < x.length; r += D) {
    let n = 0;
    for (let d = 0; d < D; d++) n += x[r + d] * x[r + d];
    const inv = 1 / Math.sqrt(n || 1);
    for (let d = 0; d < D; d++) x[r + d] *= inv;
  }
  return x;
}

function sample(spec: KernelSpec, info: TensorInfo, seed: number, gateScale = 1): Float64Array {
  const n = elementCount(info);
  const rng = new Rng(seed, info.name);
  switch (info.name) {
    case 'q':
    case 'qr':
    case 'v':
    case 'e':
    case 'do':
    case 'dht':
      return rng.normals(n);
    case 'k':
    case 'kr': {
      const x = rng.normals(n);
      return spec.update === 'gdn' ? normalizeRows(x, spec.keyDim) : x;
    }
    case 'g':
    case 'gr': {
      // gla: mild per-channel decay (≈ fla's logsigmoid(x)/16); scalar rules: logsigmoid(x).
      const f = gateScale / (spec.update === 'gla' ? 16 : 1);
      const x = rng.normals(n);
      for (let i = 0; i < n; i++) x[i] = logsigmoid(x[i]) * f;
      return x;
    }
    case 'beta':
    case 'betar': {
      const x = rng.normals(n);
      for (let i = 0; i < n; i++) x[i] = sigmoid(x[i]);
      return x;
    }
    case 'h0':
      return rng.normals(n, 0.1);
    default:
      return rng.normals(n);
  }
}

/**
 * Every forward input of `spec` by name (dsl/tensors.ts forwardInputs):
 * q, qr, v, e ~ N(0,1); k, kr ~ N(0,1) (unit-L2 rows for gdn); g, gr = logsigmoid(N(0,1)) (/16 for gla);
 * beta, betar = sigmoid(N(0,1)); h0 ~ N(0, 0.1²). `gateScale` multiplies the log-decays g, gr (strong decay: > 1).
 */
export function randomInputs(spec: KernelSpec, shape: ProblemShape, seed: number, opts: { gateScale?: number } = {}): TensorMap {
  const out: TensorMap = {};
  for (const info of forwardInputs(spec, shape)) out[info.name] = sample(spec, info, seed, opts.gateScale);
  return out;
}

/** Cotangents: do ~ N(0,1), and dht ~ N(0,1) when the spec outputs the final state. */
export function randomCotangents(spec: KernelSpec, shape: ProblemShape, seed: number): TensorMap {
  const out: TensorMap = {};
  for (const info of backwardCotangents(spec, shape)) out[info.name] = sample(spec, info, seed ^ 0x5bd1e995);
  return out;
}
