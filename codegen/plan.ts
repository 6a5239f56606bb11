/**
 * The target-independent kernel plan: from a KernelSpec and a tuning config, the ordered stages
 * of forward and backward for each impl, every buffer they touch (shape, storage) and each
 * stage's grid. Backends render this; they do not re-derive it.
 *
 * Legend (compile-time): H heads, K key dim, V value dim, N routed partitions,
 * P = shared + N virtual heads (mask) / state partitions, R router rows (1 per_token, H per_head),
 * HS heads per segment (H per_token, 1 per_head), KG gate width (K gla, 1 decay/gdn, 0 linear),
 * KW/KR writers/readers per token, BT chunk, BK/BV state tiles.
 * Runtime (see expr.ts): B, T, S.
 *
 * The unit of work in both impls is a *segment*: an ordered list of slots, each slot one token.
 *   mask:   segment = one sequence; it is run once per virtual head p (shared, then routed
 *           partitions with write/read masks applied on load), so the state index is (chunk, p, h).
 *   varlen: shared segments = the S sequences (slot = token), routed segments = the tokens of one
 *           (sequence, router row, partition) with i ∈ W_t ∪ R_t in token order, bucketed on the
 *           device; slots >= B*T map to tokens through `seg_tokens`.
 * Chunks of every segment are listed in one chunk table, so chunk-parallel stages launch a grid
 * sized by a capacity computed from shapes alone (no read-back) and idle blocks exit early.
 */
import { createHash } from 'node:crypto';
import { type ChunkSize, type Impl, type KernelSpec, canonicalJson, partitionCount, specHash } from '../dsl/kernel-spec.js';
import { gateWidth } from '../dsl/tensors.js';
import { type Size, add, ceilDiv, mul } from './expr.js';

export interface TuningConfig {
  /** Chunk length BT. */
  chunk: ChunkSize;
  /** Key tile of the state-passing stages (divides the padded K). */
  BK: number;
  /** Value tile of every stage. */
  BV: number;
  /** Threads per block / invocations per workgroup of the chunk stages. */
  threads: number;
}

export type BufferKind = 'input' | 'output' | 'cotangent' | 'gradient' | 'saved' | 'scratch';
/** 'io' = the spec's dtype; 'f32' states/accumulators/weights; 'u32' indices, counts and flags. */
export type BufferStorage = 'io' | 'f32' | 'u32';

export interface PlanBuffer {
  name: string;
  kind: BufferKind;
  storage: BufferStorage;
  shape: Size[];
  doc: string;
}

export interface PlanStage {
  /** Stage name; also the kernel entry point name suffix. */
  name: string;
  doc: string;
  /** Grid in blocks/workgroups: x, y, z. */
  grid: [Size, Size, Size];
  /** Threads per block. */
  threads: number;
  reads: string[];
  writes: string[];
}

export interface ImplPlan {
  impl: Impl;
  forward: PlanStage[];
  backward: PlanStage[];
  buffers: PlanBuffer[];
}

export interface PlanConstants {
  H: number;
  K: number;
  V: number;
  N: number;
  P: number;
  R: number;
  HS: number;
  KG: number;
  KW: number;
  KR: number;
  BT: number;
  BK: number;
  BV: number;
  /** Partitions a token touches: writers and readers are both prefixes of one ranking of p, so |W ∪ R| = max(KW, KR). */
  TOUCH: number;
  SHARED: 0 | 1;
  SCALE: number;
}

export interface KernelPlan {
  specHash: string;
  name: string;
  config: TuningConfig;
  consts: PlanConstants;
  /** Derived size expressions, named so backends and docs can print them. */
  sizes: Record<string, Size>;
  impls: ImplPlan[];
}

export interface LegalityIssue {
  /** Stable code: PLN001 ... */
  code: string;
  message: string;
}

export function planConstants(spec: KernelSpec, config: TuningConfig): PlanConstants {
  const N = spec.state.partitions;
  const route = spec.route;
  const gw = gateWidth(spec);
  const R = route && route.logits === 'per_head' ? spec.heads : 1;
  return {
    H: spec.heads,
    K: spec.keyDim,
    V: spec.valueDim,
    N,
    P: partitionCount(spec),
    R,
    HS: R === 1 ? spec.heads : 1,
    KG: gw === 'K' ? spec.keyDim : gw,
    KW: route?.write ?? 0,
    KR: route?.read ?? 0,
    BT: config.chunk,
    BK: config.BK,
    BV: config.BV,
    TOUCH: route ? Math.max(route.write, route.read) : 0,
    SHARED: spec.state.shared ? 1 : 0,
    SCALE: spec.scale,
  };
}

/** Named size expressions of a plan (capacities are upper bounds computed from shapes alone). */
export function planSizes(c: PlanConstants): Record<string, Size> {
  const tokens = mul('B', 'T');
  // Σ_s ceil(len_s / BT) <= (B*T + S*(BT-1)) / BT for any split of B*T tokens into S sequences.
  const seqChunks = `(B * T + S * ${c.BT - 1}) / ${c.BT}`;
  const routedSlots = c.N > 0 ? mul(tokens, c.R * c.TOUCH) : 0;
  const routedSegs = c.N > 0 ? mul('S', c.R * c.N) : 0;
  const routedChunks =
    c.N > 0 ? `(B * T * ${c.R * c.TOUCH} + S * ${c.R * c.N * (c.BT - 1)}) / ${c.BT}` : 0;
  // varlen with per_head logits: a segment covers one head (HS = 1), so the shared partition has
  // one segment per (sequence, head) too.
  const sharedSegs = c.SHARED ? mul('S', c.R) : 0;
  const sharedSlots = c.SHARED ? mul(tokens, c.R) : 0;
  const sharedChunks = c.SHARED ? (c.R === 1 ? seqChunks : `(${seqChunks}) * ${c.R}`) : 0;
  return {
    TOKENS: tokens,
    SEQ_CHUNKS: seqChunks,
    /** varlen: all slots; the shared slots come first (slot = token * R + r), routed slots follow. */
    SLOTS: add(sharedSlots, routedSlots),
    SHARED_SLOTS: sharedSlots,
    ROUTED_SLOTS: routedSlots,
    SEGS: add(sharedSegs, routedSegs),
    SHARED_SEGS: sharedSegs,
    ROUTED_SEGS: routedSegs,
    /** varlen chunk-table capacity: shared chunks first, then routed. */
    CHUNKS: add(sharedChunks, routedChunks),
    SHARED_CHUNKS: sharedChunks,
  };
}

function ioBuffers(spec: KernelSpec, c: PlanConstants): PlanBuffer[] {
  const tok = (name: string, kind: BufferKind, d: Size, doc: string): PlanBuffer => ({
    name,
    kind,
    storage: 'io',
    shape: d === 1 ? ['B', 'T', c.H] : ['B', 'T', c.H, d],
    doc,
  });
  const out: PlanBuffer[] = [
    tok('q', 'input', c.K, 'queries of the shared partition (and of routed ones unless routed_inputs own)'),
    tok('k', 'input', c.K, 'keys'),
    tok('v', 'input', c.V, 'values (all partitions)'),
  ];
  if (c.KG) out.push(tok('g', 'input', c.KG, 'log-decay (gate)'));
  if (spec.update === 'gdn') out.push(tok('beta', 'input', 1, 'delta-rule write strength'));
  if (c.N > 0 && spec.state.routedInputs === 'own') {
    out.push(tok('qr', 'input', c.K, 'routed queries'), tok('kr', 'input', c.K, 'routed keys'));
    if (c.KG) out.push(tok('gr', 'input', c.KG, 'routed log-decay'));
    if (spec.update === 'gdn') out.push(tok('betar', 'input', 1, 'routed write strength'));
  }
  if (c.N > 0) {
    out.push({
      name: 'e',
      kind: 'input',
      storage: 'io',
      shape: c.R === 1 ? ['B', 'T', c.N] : ['B', 'T', c.H, c.N],
      doc: 'router logits',
    });
  }
  out.push({ name: 'cu_seqlens', kind: 'input', storage: 'u32', shape: [add('S', 1)], doc: 'sequence starts (0, ..., B*T); batched inputs get 0, T, 2T, ...' });
  const state: Size[] = ['S', c.P, c.H, c.K, c.V];
  if (spec.initialState) out.push({ name: 'h0', kind: 'input', storage: 'f32', shape: state, doc: 'initial states' });
  out.push(tok('o', 'output', c.V, 'output'));
  if (spec.finalState) out.push({ name: 'ht', kind: 'output', storage: 'f32', shape: state, doc: 'final states' });
  if (spec.passes.includes('backward')) {
    out.push(tok('do', 'cotangent', c.V, 'gradient of the loss w.r.t. o'));
    if (spec.finalState) out.push({ name: 'dht', kind: 'cotangent', storage: 'f32', shape: state, doc: 'gradient w.r.t. ht' });
    for (const b of out.filter((x) => x.kind === 'input' && x.name !== 'cu_seqlens')) {
      out.push({ ...b, name: `d${b.name}`, kind: 'gradient', storage: b.storage, doc: `gradient of ${b.name}` });
    }
  }
  return out;
}

function routeBuffers(c: PlanConstants): PlanBuffer[] {
  if (c.N === 0) return [];
  const shape: Size[] = ['B', 'T', c.R, c.N];
  return [
    { name: 'rw', kind: 'saved', storage: 'f32', shape, doc: 'write weight a[t,i] (0 unless i is a writer)' },
    { name: 'rr', kind: 'saved', storage: 'f32', shape, doc: 'read weight b[t,i] (0 unless i is a reader)' },
    { name: 'rsel', kind: 'saved', storage: 'u32', shape, doc: 'bit 0: i is a writer, bit 1: i is a reader' },
    { name: 'rp', kind: 'saved', storage: 'f32', shape, doc: 'softmax probabilities p[t,i] (for the router backward)' },
  ];
}

const SEG_INFO_DOC = 'per segment: [first slot, length, first chunk, key]; key = (s * R + r) * (N + 1) + p with p = 0 shared, 1 + i routed';
const CHUNK_INFO_DOC = 'per chunk: [segment, first slot, length, chunk index in segment]; count in chunk_count';

function maskPlan(spec: KernelSpec, c: PlanConstants, s: Record<string, Size>): ImplPlan {
  const routed = c.N > 0;
  const tiles = mul(Math.ceil(c.K / c.BK), Math.ceil(c.V / c.BV));
  const buffers: PlanBuffer[] = [
    ...routeBuffers(c),
    { name: 'seg_info', kind: 'saved', storage: 'u32', shape: ['S', 4], doc: SEG_INFO_DOC },
    { name: 'chunk_info', kind: 'saved', storage: 'u32', shape: [s.SEQ_CHUNKS, 4], doc: CHUNK_INFO_DOC },
    { name: 'chunk_count', kind: 'saved', storage: 'u32', shape: [1], doc: 'number of valid chunk_info rows' },
    { name: 'h', kind: 'saved', storage: 'f32', shape: [s.SEQ_CHUNKS, c.P, c.H, c.K, c.V], doc: 'chunk-start state of every (chunk, virtual head, head)' },
  ];
  const forward: PlanStage[] = [];
  if (routed) forward.push(routeStage(c));
  forward.push(
    {
      name: 'seq_index',
      doc: 'segments and chunk table from cu_seqlens (one workgroup, on the device)',
      grid: [1, 1, 1],
      threads: 256,
      reads: ['cu_seqlens'],
      writes: ['seg_info', 'chunk_info', 'chunk_count'],
    },
    {
      name: 'fwd_h',
      doc: 'state passing: walks the chunks of one sequence in order for one virtual head and (BK, BV) tile; chunk-local log-decay cumsum on the fly; writes chunk-start states and the final state',
      grid: [tiles, 'S', c.P * c.H],
      threads: 0,
      reads: ['k', 'v', ...gates(spec, c), ...(routed ? ['rw', 'rsel'] : []), 'seg_info', ...(spec.initialState ? ['h0'] : [])],
      writes: ['h', ...(spec.finalState ? ['ht'] : [])],
    },
    {
      name: 'fwd_o',
      doc: 'output: per (chunk, head, BV tile) sums over virtual heads p the inter-chunk term q·h and the intra-chunk causal term, masks and read weights applied on load; one write of o',
      grid: [Math.ceil(c.V / c.BV), s.SEQ_CHUNKS, c.H],
      threads: 0,
      reads: ['q', 'k', 'v', ...gates(spec, c), ...(routed ? ['rw', 'rr', 'rsel'] : []), 'chunk_info', 'chunk_count', 'h'],
      writes: ['o'],
    },
  );
  const partShape = (d: number): Size[] => [c.P, 'B', 'T', c.H, d];
  buffers.push(
    { name: 'dh', kind: 'scratch', storage: 'f32', shape: [s.SEQ_CHUNKS, c.P, c.H, c.K, c.V], doc: 'gradient of every chunk-end state' },
    { name: 'dq_part', kind: 'scratch', storage: 'f32', shape: partShape(c.K), doc: 'per virtual head: gradient w.r.t. the masked query' },
    { name: 'dk_part', kind: 'scratch', storage: 'f32', shape: partShape(c.K), doc: 'per virtual head: gradient w.r.t. the masked key' },
    { name: 'dv_part', kind: 'scratch', storage: 'f32', shape: partShape(c.V), doc: 'per virtual head: gradient w.r.t. v' },
  );
  if (c.KG) buffers.push({ name: 'dg_part', kind: 'scratch', storage: 'f32', shape: partShape(c.KG), doc: 'per virtual head: gradient w.r.t. the masked gate' });
  const backward: PlanStage[] = [
    {
      name: 'bwd_dh',
      doc: 'reverse state passing: walks the chunks of one sequence backwards for one virtual head and tile; dh of each chunk end, and dh0',
      grid: [tiles, 'S', c.P * c.H],
      threads: 0,
      reads: ['q', 'do', ...gates(spec, c), ...(routed ? ['rr', 'rsel'] : []), 'seg_info', ...(spec.finalState ? ['dht'] : [])],
      writes: ['dh', ...(spec.initialState ? ['dh0'] : [])],
    },
    {
      name: 'bwd_dqkvg',
      doc: 'per (chunk, virtual head, head): gradients of the masked q, k, v, gate from the intra-chunk matrix, the saved chunk-start state and dh',
      grid: [1, s.SEQ_CHUNKS, c.P * c.H],
      threads: 0,
      reads: ['q', 'k', 'v', 'do', ...gates(spec, c), ...(routed ? ['rw', 'rr', 'rsel'] : []), 'chunk_info', 'chunk_count', 'h', 'dh'],
      writes: ['dq_part', 'dk_part', 'dv_part', ...(c.KG ? ['dg_part'] : [])],
    },
    {
      name: 'bwd_reduce',
      doc: 'per token: sums the virtual heads in fixed order into dq, dk, dv, dg (and the routed inputs), the write/read-weight gradients, and the router backward through the softmax into de',
      grid: [mul('B', 'T'), 1, 1],
      threads: 64,
      reads: ['q', 'k', 'dq_part', 'dk_part', 'dv_part', ...(c.KG ? ['dg_part'] : []), ...(routed ? ['rw', 'rr', 'rsel', 'rp'] : [])],
      writes: gradNames(spec, c),
    },
  ];
  return { impl: 'mask', forward, backward, buffers };
}

function varlenPlan(spec: KernelSpec, c: PlanConstants, s: Record<string, Size>): ImplPlan {
  const routed = c.N > 0;
  const tiles = mul(Math.ceil(c.K / c.BK), Math.ceil(c.V / c.BV));
  const buffers: PlanBuffer[] = [
    ...routeBuffers(c),
    { name: 'seg_info', kind: 'saved', storage: 'u32', shape: [s.SEGS, 4], doc: SEG_INFO_DOC },
    { name: 'chunk_info', kind: 'saved', storage: 'u32', shape: [s.CHUNKS, 4], doc: CHUNK_INFO_DOC },
    { name: 'chunk_count', kind: 'saved', storage: 'u32', shape: [1], doc: 'number of valid chunk_info rows' },
    { name: 'h', kind: 'saved', storage: 'f32', shape: [s.CHUNKS, c.HS, c.K, c.V], doc: 'chunk-start state of every (chunk, head of the segment)' },
    { name: 'o_slot', kind: 'scratch', storage: 'f32', shape: [s.SLOTS, c.HS, c.V], doc: 'per-slot output (read weight applied), reduced to o in token order' },
  ];
  if (routed) {
    buffers.push(
      { name: 'seg_tokens', kind: 'saved', storage: 'u32', shape: [s.ROUTED_SLOTS], doc: 'token (b*T + t) of routed slot SHARED_SLOTS + j at index j; shared slots map to tokens directly' },
      { name: 'tok_slot', kind: 'saved', storage: 'u32', shape: ['B', 'T', c.R, c.N], doc: 'slot of token t in partition i of its sequence (0xFFFFFFFF when i ∉ W_t ∪ R_t)' },
      { name: 'seg_count', kind: 'scratch', storage: 'u32', shape: [s.ROUTED_SEGS], doc: 'tokens per routed segment' },
    );
  }
  const forward: PlanStage[] = [];
  if (routed) {
    forward.push(
      routeStage(c),
      {
        name: 'bucket_rank',
        doc: 'per (sequence, router row): scans its tokens in order and gives each (token, partition) with i ∈ W ∪ R its rank within the segment; counts per segment (stable: rank follows token order)',
        grid: [mul('S', c.R), 1, 1],
        threads: 256,
        reads: ['cu_seqlens', 'rsel'],
        writes: ['tok_slot', 'seg_count'],
      },
    );
  }
  forward.push({
    name: 'seg_index',
    doc: 'one workgroup: exclusive scans of segment lengths and chunk counts into seg_info and chunk_info (shared segments first, then routed in (sequence, row, partition) order)',
    grid: [1, 1, 1],
    threads: 256,
    reads: ['cu_seqlens', ...(routed ? ['seg_count'] : [])],
    writes: ['seg_info', 'chunk_info', 'chunk_count'],
  });
  if (routed) {
    forward.push({
      name: 'bucket_scatter',
      doc: 'per token and partition: slot = segment start + rank; writes seg_tokens and turns tok_slot ranks into slots',
      grid: [ceilDiv(mul('B', 'T', c.R), 64), 1, 1],
      threads: 64,
      reads: ['seg_info', 'tok_slot', 'cu_seqlens'],
      writes: ['seg_tokens', 'tok_slot'],
    });
  }
  const slotReads = routed ? ['seg_info', 'seg_tokens'] : ['seg_info'];
  forward.push(
    {
      name: 'fwd_h',
      doc: 'state passing over the chunks of one segment (gathering its tokens by slot), per head of the segment and (BK, BV) tile',
      grid: [tiles, s.SEGS, c.HS],
      threads: 0,
      reads: ['k', 'v', ...gates(spec, c), ...(routed ? ['rw', 'rsel', 'tok_slot'] : []), ...slotReads, ...(spec.initialState ? ['h0'] : [])],
      writes: ['h', ...(spec.finalState ? ['ht'] : [])],
    },
    {
      name: 'fwd_o',
      doc: 'per (chunk, head of segment, BV tile): inter- and intra-chunk output of the segment\'s slots, read weight applied; writes o_slot',
      grid: [Math.ceil(c.V / c.BV), s.CHUNKS, c.HS],
      threads: 0,
      reads: ['q', 'k', 'v', ...gates(spec, c), ...(routed ? ['rw', 'rr', 'rsel'] : []), 'chunk_info', 'chunk_count', 'h', ...slotReads],
      writes: ['o_slot'],
    },
    {
      name: 'fwd_reduce',
      doc: 'per token and head: o = shared slot + routed reader slots in ascending partition order (deterministic)',
      grid: [mul('B', 'T'), 1, 1],
      threads: 64,
      reads: ['o_slot', ...(routed ? ['tok_slot', 'rsel'] : [])],
      writes: ['o'],
    },
  );
  const slotPart = (d: number): Size[] => [s.SLOTS, c.HS, d];
  buffers.push(
    { name: 'dh', kind: 'scratch', storage: 'f32', shape: [s.CHUNKS, c.HS, c.K, c.V], doc: 'gradient of every chunk-end state' },
    { name: 'dq_slot', kind: 'scratch', storage: 'f32', shape: slotPart(c.K), doc: 'per slot: gradient w.r.t. the weighted query' },
    { name: 'dk_slot', kind: 'scratch', storage: 'f32', shape: slotPart(c.K), doc: 'per slot: gradient w.r.t. the weighted key' },
    { name: 'dv_slot', kind: 'scratch', storage: 'f32', shape: slotPart(c.V), doc: 'per slot: gradient w.r.t. v' },
  );
  if (c.KG) buffers.push({ name: 'dg_slot', kind: 'scratch', storage: 'f32', shape: slotPart(c.KG), doc: 'per slot: gradient w.r.t. the masked gate' });
  const backward: PlanStage[] = [
    {
      name: 'bwd_dh',
      doc: 'reverse state passing over one segment\'s chunks; dh per chunk end and dh0',
      grid: [tiles, s.SEGS, c.HS],
      threads: 0,
      reads: ['q', 'do', ...gates(spec, c), ...(routed ? ['rr', 'rsel', 'tok_slot'] : []), ...slotReads, ...(spec.finalState ? ['dht'] : [])],
      writes: ['dh', ...(spec.initialState ? ['dh0'] : [])],
    },
    {
      name: 'bwd_dqkvg',
      doc: 'per (chunk, head of segment): gradients of the weighted q, k, v and gate of each slot',
      grid: [1, s.CHUNKS, c.HS],
      threads: 0,
      reads: ['q', 'k', 'v', 'do', ...gates(spec, c), ...(routed ? ['rw', 'rr', 'rsel'] : []), 'chunk_info', 'chunk_count', 'h', 'dh', ...slotReads],
      writes: ['dq_slot', 'dk_slot', 'dv_slot', ...(c.KG ? ['dg_slot'] : [])],
    },
    {
      name: 'bwd_reduce',
      doc: 'per token: sums its slots in ascending partition order into dq, dk, dv, dg (and routed inputs), the weight gradients and, through the softmax, de',
      grid: [mul('B', 'T'), 1, 1],
      threads: 64,
      reads: ['q', 'k', 'dq_slot', 'dk_slot', 'dv_slot', ...(c.KG ? ['dg_slot'] : []), ...(routed ? ['rw', 'rr', 'rsel', 'rp', 'tok_slot'] : [])],
      writes: gradNames(spec, c),
    },
  ];
  return { impl: 'varlen', forward, backward, buffers };
}

function routeStage(c: PlanConstants): PlanStage {
  return {
    name: 'route',
    doc: 'per token (and head when per_head): softmax of the logits, top-KW writers and top-KR readers (ties to the lower index), weights and flags in one pass',
    grid: [ceilDiv(mul('B', 'T', c.R), 64), 1, 1],
    threads: 64,
    reads: ['e'],
    writes: ['rp', 'rw', 'rr', 'rsel'],
  };
}

function gates(spec: KernelSpec, c: PlanConstants): string[] {
  const out: string[] = [];
  if (c.KG) out.push('g');
  if (spec.update === 'gdn') out.push('beta');
  if (c.N > 0 && spec.state.routedInputs === 'own') {
    out.push('qr', 'kr');
    if (c.KG) out.push('gr');
    if (spec.update === 'gdn') out.push('betar');
  }
  return out;
}

function gradNames(spec: KernelSpec, c: PlanConstants): string[] {
  const names = ['dq', 'dk', 'dv'];
  if (c.KG) names.push('dg');
  if (spec.update === 'gdn') names.push('dbeta');
  if (c.N > 0 && spec.state.routedInputs === 'own') {
    names.push('dqr', 'dkr');
    if (c.KG) names.push('dgr');
    if (spec.update === 'gdn') names.push('dbetar');
  }
  if (c.N > 0) names.push('de');
  if (spec.initialState) names.push('dh0');
  return names;
}

/** The default tuning config: the spec's first chunk size, tiles that divide K and V where possible. */
export function defaultConfig(spec: KernelSpec): TuningConfig {
  const chunk = spec.chunk.includes(64) ? 64 : spec.chunk[0];
  const tile = (d: number) => (d >= 64 ? 64 : d >= 32 ? 32 : 16);
  // gdn's delta rule couples every key channel: its state tiles span the whole (padded) key dim.
  const BK = spec.update === 'gdn' ? Math.max(16, 2 ** Math.ceil(Math.log2(spec.keyDim))) : tile(spec.keyDim);
  return { chunk, BK, BV: tile(spec.valueDim), threads: 128 };
}

export function buildPlan(spec: KernelSpec, config: TuningConfig = defaultConfig(spec)): KernelPlan {
  const consts = planConstants(spec, config);
  const sizes = planSizes(consts);
  const impls: ImplPlan[] = [];
  for (const impl of spec.impls) {
    const p = impl === 'mask' ? maskPlan(spec, consts, sizes) : varlenPlan(spec, consts, sizes);
    const shared = ioBuffers(spec, consts);
    p.buffers = [...shared, ...p.buffers];
    if (!spec.passes.includes('backward')) {
      p.backward = [];
      p.buffers = p.buffers.filter((b) => !(b.kind === 'scratch' && /^(dh|d.*_(part|slot))$/.test(b.name)));
    }
    // Stages whose thread count is left to the config.
    for (const st of [...p.forward, ...p.backward]) if (st.threads === 0) st.threads = config.threads;
    impls.push(p);
  }
  return { specHash: specHash(spec), name: spec.name, config, consts, sizes, impls };
}

/**
 * Target-independent legality of a tuning config for a spec; every message names the values.
 * Targets add their own limits (shared memory per block, registers) on top of this.
 */
export function checkConfig(spec: KernelSpec, config: TuningConfig): LegalityIssue[] {
  const issues: LegalityIssue[] = [];
  if (!spec.chunk.includes(config.chunk)) {
    issues.push({ code: 'PLN001', message: `chunk ${config.chunk} is not among the spec's chunk sizes [${spec.chunk.join(', ')}]` });
  }
  for (const [name, tile, dim, dimName] of [
    ['BK', config.BK, spec.keyDim, 'key_dim'],
    ['BV', config.BV, spec.valueDim, 'value_dim'],
  ] as const) {
    if (![16, 32, 64, 128, 256].includes(tile)) issues.push({ code: 'PLN002', message: `${name} ${tile} must be one of 16, 32, 64, 128, 256` });
    else if (tile > Math.max(16, dim) * 2) issues.push({ code: 'PLN003', message: `${name} ${tile} is more than twice ${dimName} ${dim}: at most ${Math.max(16, 2 ** Math.ceil(Math.log2(dim)))}` });
  }
  if (config.threads % 32 !== 0 || config.threads < 32 || config.threads > 1024) {
    issues.push({ code: 'PLN004', message: `threads ${config.threads} must be a multiple of 32 in 32..1024` });
  }
  if (spec.update === 'gdn' && config.BK < spec.keyDim) {
    issues.push({ code: 'PLN005', message: `gdn needs the whole key dimension in one tile: BK ${config.BK} < key_dim ${spec.keyDim}` });
  }
  return issues;
}

/** Minimum f32 shared-memory bytes of the chunk stages for a config (tiles of q/k/v/gate and the intra-chunk matrix). */
export function chunkStageSharedBytes(spec: KernelSpec, config: TuningConfig): Record<string, number> {
  const { chunk: BT, BK, BV } = config;
  const K = spec.keyDim;
  const KG = gateWidth(spec) === 'K' ? K : 1;
  const f = 4;
  return {
    fwd_h: f * (BT * BK + BT * BV + BT * Math.min(KG, BK)),
    fwd_o: f * (BT * K * 2 + BT * BV + BT * BT + BT * KG),
    bwd_dh: f * (BT * BK + BT * BV + BT * Math.min(KG, BK)),
    bwd_dqkvg: f * (BT * K * 3 + BT * BT * 2 + BT * BV * 2 + BT * KG),
  };
}

/**
 * Kernel identity: one stable name per (spec, tuning config, impl, stage, target), derived from
 * every compile-time parameter. It names generated files and keys pipeline, build and tuning caches.
 */
export function kernelId(plan: KernelPlan, impl: Impl, stage: string, target: string): string {
  const h = createHash('sha256')
    .update(canonicalJson({ spec: plan.specHash, config: plan.config, impl, stage, target }))
    .digest('hex')
    .slice(0, 12);
  return `${plan.name}_${stage}_${impl}_${h}`;
}

/** Identity of a whole plan for one target (build directories, module caches). */
export function planId(plan: KernelPlan, target: string): string {
  const h = createHash('sha256').update(canonicalJson({ spec: plan.specHash, config: plan.config, target })).digest('hex').slice(0, 12);
  return `${plan.name}_${h}`;
}
