/**
 * Streams ("virtual heads"): the decomposition every non-literal path of the reference uses.
 *
 * The partitions of one (sequence, head) never interact: each is an independent linear-attention
 * recurrence, and o is the sum of their outputs. A stream is one partition's recurrence over a list of
 * tokens with the routing already folded into its inputs:
 *   q̃_t = b_{t,i} · q_t (read weight; 0 when not a reader), k̃_t = a_{t,i} · k_t (0 when not a writer),
 *   g̃_t = g_t when a writer else 0 (no decay), β̃_t = β_t when a writer else 0, v shared.
 * A non-writer token then leaves the state exactly untouched (k̃ = 0, g̃ = 0), so
 *   - mask form:   the stream holds every token of the sequence;
 *   - varlen form: the stream holds only W ∪ R tokens of its partition (others contribute nothing).
 * The shared partition is a stream with a = b = 1 and every token.
 */
import type { KernelSpec } from '../kernel-spec.js';
import { partitionCount } from '../kernel-spec.js';
import type { ProblemShape } from '../tensors.js';
import { forwardInputs } from '../tensors.js';
import { type Dims, dimsOf, routeOffset, routedPartition, type Sequence, sequences, stateOffset, type TensorMap, tokenIndex } from './layout.js';
import { partitionInputs } from './recurrent.js';
import { type Routing, softmaxBackward } from './routing.js';

/**
 * One (sequence, partition) token list in token order: the blueprint of GPU varlen bucketing.
 * `head` is null when the list holds for every head (shared partition, per_token logits).
 */
export interface Segment {
  seq: number;
  b: number;
  head: number | null;
  /** State-partition index (axis P of h0/ht). */
  partition: number;
  /** Routed partition index i (0-based), or −1 for the shared partition. */
  routed: number;
  /** Token positions t (within batch row b), ascending. */
  tokens: Int32Array;
  /** Per listed token: 1 if it writes this partition (i ∈ W_t), 0 if read-only (i ∈ R_t \ W_t). */
  writer: Uint8Array;
  reader: Uint8Array;
}

/**
 * Varlen bucketing: per sequence, the shared segment (all tokens) first, then per routed partition
 * (per head, head-major, with per_head logits) the tokens with i ∈ W_t ∪ R_t in token order.
 * A partition no token selects yields an empty segment (its final state is its initial state).
 * Outputs are scattered back (added) in this segment order, so each (t, h) sums partitions ascending.
 */
export function varlenSegments(spec: KernelSpec, shape: ProblemShape, routing: Routing | null): Segment[] {
  const segs: Segment[] = [];
  const N = spec.state.partitions;
  const perHead = spec.route?.logits === 'per_head';
  for (const { seq, b, bos, eos } of sequences(shape)) {
    const n = eos - bos;
    if (spec.state.shared) {
      const tokens = new Int32Array(n);
      for (let t = 0; t < n; t++) tokens[t] = bos + t;
      segs.push({ seq, b, head: null, partition: 0, routed: -1, tokens, writer: new Uint8Array(n).fill(1), reader: new Uint8Array(n).fill(1) });
    }
    if (N === 0) continue;
    if (!routing) throw new Error('varlenSegments: routed partitions need a routing');
    const heads = perHead ? Array.from({ length: spec.heads }, (_, h) => h) : [null];
    for (const head of heads) {
      for (let i = 0; i < N; i++) {
        const tokens: number[] = [];
        const writer: number[] = [];
        const reader: number[] = [];
        for (let t = bos; t < eos; t++) {
          const ro = routeOffset(spec, shape, b, t, head ?? 0) + i;
          if (routing.writers[ro] || routing.readers[ro]) {
            tokens.push(t);
            writer.push(routing.writers[ro]);
            reader.push(routing.readers[ro]);
          }
        }
        segs.push({
          seq,
          b,
          head,
          partition: routedPartition(spec, i),
          routed: i,
          tokens: Int32Array.from(tokens),
          writer: Uint8Array.from(writer),
          reader: Uint8Array.from(reader),
        });
      }
    }
  }
  return segs;
}

/** One partition's recurrence over a token list, routing folded into the inputs. L = tokens.length. */
export interface Stream {
  seq: number;
  b: number;
  h: number;
  partition: number;
  routed: number;
  tokens: Int32Array;
  /** q̃ [L, K] (read weight folded in; `scale` is applied by the algorithms). */
  q: Float64Array;
  /** k̃ [L, K] (write weight folded in). */
  k: Float64Array;
  /** v [L, V]. */
  v: Float64Array;
  /** g̃ [L, GW] (0 on non-writers). */
  g: Float64Array;
  /** β̃ [L] (gdn; 1 otherwise; 0 on non-writers). */
  beta: Float64Array;
  /** Initial state [K, V]. */
  h0: Float64Array;
  /** Chain-rule bookkeeping: source tensors and per-token weights/masks/routing offsets. */
  src: { q: string; k: string; g: string; beta: string };
  writeW: Float64Array;
  readW: Float64Array;
  writer: Uint8Array;
  reader: Uint8Array;
  routeOff: Int32Array;
}

export interface StreamGrads {
  dq: Float64Array;
  dk: Float64Array;
  dv: Float64Array;
  dg: Float64Array;
  dbeta: Float64Array;
  dh0: Float64Array;
}

export interface Ctx {
  spec: KernelSpec;
  shape: ProblemShape;
  inputs: TensorMap;
  routing: Routing | null;
  d: Dims;
}

export function makeCtx(spec: KernelSpec, shape: ProblemShape, inputs: TensorMap, routing: Routing | null): Ctx {
  return { spec, shape, inputs, routing, d: dimsOf(spec) };
}

function buildStream(c: Ctx, seq: Sequence, h: number, partition: number, routed: number, tokens: Int32Array): Stream {
  const { spec, shape, inputs, routing } = c;
  const { K, V, GW } = c.d;
  const H = spec.heads;
  const L = tokens.length;
  const src = partitionInputs(spec, routed >= 0);
  const st: Stream = {
    seq: seq.seq,
    b: seq.b,
    h,
    partition,
    routed,
    tokens,
    q: new Float64Array(L * K),
    k: new Float64Array(L * K),
    v: new Float64Array(L * V),
    g: new Float64Array(L * GW),
    beta: new Float64Array(L),
    h0: spec.initialState
      ? inputs.h0.slice(stateOffset(spec, seq.seq, partition, h), stateOffset(spec, seq.seq, partition, h) + K * V)
      : new Float64Array(K * V),
    src,
    writeW: new Float64Array(L),
    readW: new Float64Array(L),
    writer: new Uint8Array(L),
    reader: new Uint8Array(L),
    routeOff: new Int32Array(L).fill(-1),
  };
  const q = inputs[src.q];
  const k = inputs[src.k];
  const g = GW ? inputs[src.g] : undefined;
  const beta = spec.update === 'gdn' ? inputs[src.beta] : undefined;
  for (let j = 0; j < L; j++) {
    const t = tokens[j];
    const ti = tokenIndex(shape, H, seq.b, t, h);
    let a = 1;
    let r = 1;
    let w = 1;
    let rd = 1;
    if (routed >= 0) {
      const ro = routeOffset(spec, shape, seq.b, t, h) + routed;
      st.routeOff[j] = ro;
      a = routing!.write[ro];
      r = routing!.read[ro];
      w = routing!.writers[ro];
      rd = routing!.readers[ro];
    }
    st.writeW[j] = a;
    st.readW[j] = r;
    st.writer[j] = w;
    st.reader[j] = rd;
    for (let x = 0; x < K; x++) {
      st.q[j * K + x] = r * q[ti * K + x];
      st.k[j * K + x] = a * k[ti * K + x];
    }
    for (let x = 0; x < V; x++) st.v[j * V + x] = inputs.v[ti * V + x];
    for (let x = 0; x < GW; x++) st.g[j * GW + x] = w ? g![ti * GW + x] : 0;
    st.beta[j] = beta ? (w ? beta[ti] : 0) : 1;
  }
  return st;
}

/** Mask form: one stream per (sequence, head, partition) over every token of the sequence. */
export function maskStreams(c: Ctx): Stream[] {
  const out: Stream[] = [];
  const P = partitionCount(c.spec);
  const shared = c.spec.state.shared;
  for (const seq of sequences(c.shape)) {
    const tokens = new Int32Array(seq.eos - seq.bos);
    for (let t = 0; t < tokens.length; t++) tokens[t] = seq.bos + t;
    for (let h = 0; h < c.spec.heads; h++)
      for (let j = 0; j < P; j++) out.push(buildStream(c, seq, h, j, shared ? j - 1 : j, tokens));
  }
  return out;
}

/** Varlen form: one stream per segment (and head, for head-independent segments), in segment order. */
export function varlenStreams(c: Ctx): Stream[] {
  const out: Stream[] = [];
  const seqs = sequences(c.shape);
  for (const seg of varlenSegments(c.spec, c.shape, c.routing)) {
    const heads = seg.head === null ? Array.from({ length: c.spec.heads }, (_, h) => h) : [seg.head];
    for (const h of heads) out.push(buildStream(c, seqs[seg.seq], h, seg.partition, seg.routed, seg.tokens));
  }
  return out;
}

/** Output accumulator for forward passes over streams. */
export function forwardOutputs(c: Ctx): TensorMap {
  const { spec, shape } = c;
  const o = new Float64Array(shape.B * shape.T * spec.heads * c.d.V);
  if (!spec.finalState) return { o };
  const S = sequences(shape).length;
  return { o, ht: new Float64Array(S * partitionCount(spec) * spec.heads * c.d.K * c.d.V) };
}

/** Adds a stream's outputs oS [L, V] back at its token positions and stores its final state. */
export function scatterForward(c: Ctx, st: Stream, oS: Float64Array, hT: Float64Array, out: TensorMap): void {
  const { V } = c.d;
  const H = c.spec.heads;
  for (let j = 0; j < st.tokens.length; j++) {
    const ti = tokenIndex(c.shape, H, st.b, st.tokens[j], st.h);
    for (let x = 0; x < V; x++) out.o[ti * V + x] += oS[j * V + x];
  }
  if (out.ht) out.ht.set(hT, stateOffset(c.spec, st.seq, st.partition, st.h));
}

/** Gradient accumulators: d<name> for every forward input, plus dp in the routing layout. */
export interface GradAcc {
  grads: TensorMap;
  dp: Float64Array | null;
}

export function newGradAcc(c: Ctx): GradAcc {
  const grads: TensorMap = {};
  for (const info of forwardInputs(c.spec, c.shape)) grads[`d${info.name}`] = new Float64Array(info.shape.reduce((a, b) => a * b, 1));
  return { grads, dp: c.routing ? new Float64Array(c.routing.p.length) : null };
}

/**
 * Chain rule from a stream's gradients to the layer inputs:
 *   dq_src += b·dq̃, db = ⟨dq̃, q_src⟩;  dk_src += a·dk̃, da = ⟨dk̃, k_src⟩;  dv += dv;
 *   dg_src += [writer]·dg̃;  dβ_src += [writer]·dβ̃;  dp += [writer, scaleK]·da + [reader, scaleQ]·db.
 */
export function scatterBackward(c: Ctx, st: Stream, sg: StreamGrads, acc: GradAcc): void {
  const { spec, shape, inputs } = c;
  const { K, V, GW } = c.d;
  const H = spec.heads;
  const gq = acc.grads[`d${st.src.q}`];
  const gk = acc.grads[`d${st.src.k}`];
  const gv = acc.grads.dv;
  const gg = GW ? acc.grads[`d${st.src.g}`] : undefined;
  const gb = spec.update === 'gdn' ? acc.grads[`d${st.src.beta}`] : undefined;
  const q = inputs[st.src.q];
  const k = inputs[st.src.k];
  const scaleK = !!spec.route?.scaleK;
  const scaleQ = !!spec.route?.scaleQ;
  for (let j = 0; j < st.tokens.length; j++) {
    const ti = tokenIndex(shape, H, st.b, st.tokens[j], st.h);
    const a = st.writeW[j];
    const r = st.readW[j];
    let da = 0;
    let db = 0;
    for (let x = 0; x < K; x++) {
      gq[ti * K + x] += r * sg.dq[j * K + x];
      gk[ti * K + x] += a * sg.dk[j * K + x];
      db += sg.dq[j * K + x] * q[ti * K + x];
      da += sg.dk[j * K + x] * k[ti * K + x];
    }
    for (let x = 0; x < V; x++) gv[ti * V + x] += sg.dv[j * V + x];
    if (st.writer[j]) {
      if (gg) for (let x = 0; x < GW; x++) gg[ti * GW + x] += sg.dg[j * GW + x];
      if (gb) gb[ti] += sg.dbeta[j];
    }
    if (st.routed >= 0 && acc.dp) {
      const ro = st.routeOff[j];
      if (st.writer[j] && scaleK) acc.dp[ro] += da;
      if (st.reader[j] && scaleQ) acc.dp[ro] += db;
    }
  }
  if (spec.initialState) acc.grads.dh0.set(sg.dh0, stateOffset(spec, st.seq, st.partition, st.h));
}

/** Finishes the routing backward (dp → de through the softmax Jacobian) and returns the gradients. */
export function finishGrads(c: Ctx, acc: GradAcc): TensorMap {
  if (c.routing && acc.dp) acc.grads.de = softmaxBackward(c.routing.p, acc.dp, c.spec.state.partitions);
  return acc.grads;
}
