/**
 * The WGSL program of a plan: which kernels (one kernel identity each), which physical buffers,
 * and the dispatch order of forward and backward. Built from the target-independent plan
 * (codegen/plan.ts); what WGSL adds or changes is listed in `WGSL_DEVIATIONS` with the reason.
 *
 * Legend: H heads, K key dim, V value dim, N routed partitions, P = shared + N, R router rows,
 * HS heads per varlen segment, Z stream heads per chunk row (P·H mask, HS varlen), ZD heads of the
 * do·vᵀ matrix (H mask, HS varlen), BT chunk, BK/BV state tiles, KS/KQ/VS/SB kernel-local slices.
 * Runtime: B, T, S (never in a kernel identity; they reach the kernels through the uniform `P`).
 */
import { createHash } from 'node:crypto';
import type { Impl, KernelSpec } from '../../dsl/kernel-spec.js';
import { canonicalJson } from '../../dsl/kernel-spec.js';
import { type Size, add, ceilDiv, mul } from '../../codegen/expr.js';
import { type ImplPlan, type KernelPlan, type PlanConstants, planSizes } from '../../codegen/plan.js';

/** WebGPU guarantees 16 KiB of workgroup storage on every adapter; every kernel fits in it. */
export const WORKGROUP_STORAGE_BUDGET = 16384;
/** Most storage buffers one kernel binds; SwiftShader allows 12, WebGPU's default is 8. */
export const STORAGE_BUFFER_BUDGET = 12;

export type ElemKind = 'io' | 'f32' | 'u32';
export type GateKind = 'vec' | 'scalar' | 'none';

/** One view (sub-range) of a packed physical buffer; its element offset travels in the uniform. */
export interface BufferView {
  name: string;
  /** Uniform field holding the view's element offset. */
  offsetField: string;
  size: Size;
  doc: string;
}

export interface PhysBuffer {
  name: string;
  elem: ElemKind;
  /** Role for the host: inputs/cotangents come from the caller, outputs/gradients go back to it. */
  role: 'input' | 'output' | 'cotangent' | 'gradient' | 'saved' | 'scratch';
  /** Element count. */
  size: Size;
  /** Logical dims for caller tensors (validation messages). */
  dims?: string[];
  shape?: Size[];
  views?: BufferView[];
  doc: string;
}

export interface KernelBinding {
  binding: number;
  buffer: string;
  access: 'read' | 'read_write';
  /** Declared as `array<vec4<f32>>` (an f32 buffer without views, read four elements at a time). */
  vec4?: boolean;
}

export interface KernelDef {
  /** Kernel identity: `<stage>_<impl>_<hash12>`, also the file stem. */
  id: string;
  stage: string;
  /** Plan stage this kernel implements (or the one it was split from). */
  planStage: string;
  impl: Impl;
  template: string;
  workgroupSize: number;
  /** Grid in workgroups; x may exceed 65535 (the host folds it into y). */
  grid: [Size, Size, Size];
  bindings: KernelBinding[];
  /** Every compile-time parameter; hashed into the id. */
  params: KernelParams;
  /** Workgroup storage in bytes (checked against WORKGROUP_STORAGE_BUDGET). */
  workgroupBytes: number;
}

export interface KernelParams {
  stage: string;
  impl: Impl;
  io: 'f32' | 'f16';
  layout: 'BTHD' | 'BHTD';
  gate: GateKind;
  H: number;
  K: number;
  V: number;
  N: number;
  P: number;
  R: number;
  HS: number;
  Z: number;
  ZD: number;
  BT: number;
  BK: number;
  BV: number;
  WG: number;
  KW: number;
  KR: number;
  SHARED: 0 | 1;
  OWN: 0 | 1;
  SCALE: number;
  SCALE_K: 0 | 1;
  SCALE_Q: 0 | 1;
  PER_HEAD: 0 | 1;
  HAS_H0: 0 | 1;
  HAS_HT: 0 | 1;
  /** 'all' streams, or only the shared / routed ones (kernels split to stay under the binding budget). */
  source: 'all' | 'shared' | 'routed';
  /** First stream head z of this kernel (routed-only mask kernels start at H). */
  Z_OFF: number;
  /** Kernel-local slices: KS (K slice), VS (V slice), SB (slot sub-block), KQ (dq/dk K tile). */
  KS: number;
  VS: number;
  SB: number;
  KQ: number;
  /** Number of KQ tiles (scalar-gate partial sums). */
  NKQ: number;
  /** Template text hash: a template change is a new identity. */
  templateHash: string;
}

export interface Dispatch {
  kernel: string;
  grid: [Size, Size, Size];
}

export interface UniformField {
  name: string;
  value: Size;
  doc: string;
}

export interface WgslProgram {
  impl: Impl;
  io: 'f32' | 'f16';
  kernels: KernelDef[];
  buffers: PhysBuffer[];
  uniforms: UniformField[];
  forward: Dispatch[];
  backward: Dispatch[];
  /** Size expressions the host prints / evaluates. */
  sizes: Record<string, Size>;
}

export const WGSL_DEVIATIONS: { what: string; why: string }[] = [
  {
    what: 'fwd_attn (added stage): A_ts = Σ_k q̃ k̃ exp(G_t − G_s) per (chunk, stream head), saved in `attn` [chunks, Z, BT, BT]',
    why: 'fwd_o and bwd_dv both need A; computing it once keeps each kernel inside 16 KiB of workgroup storage (BT² floats do not fit beside the q/k/h tiles)',
  },
  {
    what: 'fwd_attn runs before fwd_h and also saves the decayed operands `qhat` = q̃ ⊙ exp(G), `khat` = k̃ ⊙ exp(G_last − G) ([chunks, Z, BT, K] f32) and `gdec` = exp(G_last) ([chunks, Z, K]); fwd_h, fwd_o, bwd_dh and bwd_dv read them instead of the raw q/k/g',
    why: 'building the decayed operands from the gate took two thirds of fwd_o and bwd_dv (measured) and was repeated per V tile, virtual head and K tile; fwd_attn has the chunk-local cumsum already',
  },
  {
    what: 'bwd_dov (added stage): D_ts = do_t · v_s per (chunk, head) in `dattn`; bwd_dqkvg split into bwd_dv, bwd_hdo / bwd_vdh (h·do_t, dh·v_t and Σ_v h ⊙ dh over all of V, in `p_hdo`, `p_vdh`, `p_hdh`) and bwd_dqk (+ bwd_dg for scalar gates)',
    why: 'D is the same for every virtual head of the mask impl, and dq/dk (tiled over K) and dv (tiled over V) need different tilings; the phase-1 products over V, done inside bwd_dqk, re-read do, v, h and dh for every 16-channel KQ tile; scalar gates need dG summed over K tiles',
  },
  {
    what: 'bwd_reduce split into bwd_reduce (dq, dk, dv, dg) and bwd_route (de)',
    why: 'one kernel would bind up to 15 storage buffers; each half stays at 11 or fewer',
  },
  {
    what: 'packed buffers: `meta` (u32) = route tables rw, rr, rp, rsel (floats as bits) + seg_info, chunk_info, chunk_count, seg_tokens, tok_slot, seg_count; `dqk_part` = dq_part + dk_part; `dg_part` = dg_part (+ per-K-tile partial dG for scalar gates)',
    why: 'stays under maxStorageBuffersPerShaderStage; view offsets travel in the uniform',
  },
  {
    what: 'own routed inputs: fwd/bwd kernels over streams that bind both q/k/g and qr/kr/gr are split into a shared-source and a routed-source kernel where the binding count requires it (bwd_dqk)',
    why: 'binding budget',
  },
];

const hash12 = (x: unknown) => createHash('sha256').update(canonicalJson(x)).digest('hex').slice(0, 12);

export function gateKind(spec: KernelSpec): GateKind {
  return spec.update === 'gla' ? 'vec' : spec.update === 'linear' ? 'none' : 'scalar';
}

/** Storage dtype of 'io' tensors on an adapter: f16 only for f16 specs on adapters with shader-f16. */
export function ioStorage(spec: KernelSpec, hasF16: boolean): 'f32' | 'f16' {
  return spec.dtype === 'f16' && hasF16 ? 'f16' : 'f32';
}

/** The io storage variants rendered for a spec (f16 specs get an f32 fallback for adapters without shader-f16). */
export function ioVariants(spec: KernelSpec): ('f32' | 'f16')[] {
  return spec.dtype === 'f16' ? ['f16', 'f32'] : ['f32'];
}

export class UnsupportedSpec extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedSpec';
  }
}

/** The capability matrix of the WGSL target (tests derive what to skip from it). */
export const WGSL_CAPABILITIES = {
  updates: { gla: true, decay: true, linear: true, gdn: false } as Record<string, boolean>,
  impls: { mask: true, varlen: true } as Record<string, boolean>,
  dtypes: { f32: 'f32', f16: 'f16 where the adapter has shader-f16, else f32', bf16: 'stored as f32' } as Record<string, string>,
};

export function checkSupported(spec: KernelSpec): void {
  if (!WGSL_CAPABILITIES.updates[spec.update]) {
    throw new UnsupportedSpec(
      `the WGSL target does not support update rule '${spec.update}' yet (supported: gla, decay, linear); the float64 reference (ssec ref) covers it`,
    );
  }
}

interface Slices {
  KS: number;
  VS: number;
  SB: number;
  KQ: number;
}

/** Kernel-local slices chosen so the largest kernel fits WORKGROUP_STORAGE_BUDGET (see workgroupBytes). */
export function chooseSlices(c: PlanConstants): Slices {
  const BT = c.BT;
  const KS = BT >= 128 ? 8 : 16;
  return { KS, VS: KS, SB: 8, KQ: KS };
}

/** Workgroup bytes of each template, from its declared arrays (mirrors the templates' var<workgroup> declarations). */
export function workgroupBytes(template: string, p: KernelParams): number {
  const f = 4;
  const meta = 4 * p.BT * f + 8 * f;
  const gCols = p.gate === 'vec' ? 1 : 0;
  // vec4 tiles padded with one vec4 after every 16 (fwd_attn's slice tiles, the gla gate tile)
  const pad16 = (floats: number) => floats + Math.floor(floats / 64) * 4;
  const sG = (w: number) => (gCols ? pad16(p.BT * w) : p.BT) * f + gScan(w);
  // segment totals of the parallel gate scan (gla)
  const gScan = (w: number) => (gCols ? Math.min(p.WG / w, p.BT) * w * f : 0);
  switch (template) {
    case 'route':
    case 'reduce':
    case 'bucket_scatter':
      return 0;
    case 'bwd_reduce':
    case 'fwd_reduce':
      return 0;
    case 'bwd_route':
      return 2 * 64 * f + p.R * p.N * f;
    case 'seg_index':
      return 3 * 256 * 4 + 16;
    case 'bucket_rank':
      return 256 * 4 + p.N * 4 + 16;
    case 'state_pass':
      return meta + (p.SB * p.BK + p.SB * p.BV) * f;
    case 'fwd_attn':
      return meta + 2 * pad16(p.BT * p.KS) * f + sG(p.KS);
    case 'fwd_o':
      // s_x rows padded by one vec4 (XS = BT/4 + 1)
      return meta + Math.max(p.KS, p.SB) * (p.BT + 4) * f + Math.max(p.KS * p.BV, p.SB * p.BV) * f;
    case 'bwd_dov':
      return meta + 2 * p.BT * p.VS * f;
    case 'bwd_dv':
      return meta + Math.max(p.KS, p.SB) * (p.BT + 4) * f + Math.max(p.KS * p.BV, p.SB * p.BV) * f;
    case 'bwd_dqk': {
      // the block steps (NBQ = BT / 16 blocks): in s_Gt for gla (grown to 2 · NBQ · KQ floats), s_st for scalar gates
      const NBQ = p.BT / Math.min(16, p.BT);
      const steps = gCols ? Math.max(0, 2 * NBQ * p.KQ * f - gScan(p.KQ)) : p.gate === 'scalar' ? 2 * NBQ * f : 0;
      return meta + 2 * p.BT * p.KQ * f + sG(p.KQ) + p.KQ * f + steps;
    }
    case 'bwd_hdo':
      // s_x (rows), s_y (state slice), and s_r (h ⊙ dh items) in the h·do instance with a gate
      // (rows of s_x and s_y padded by one vec4)
      return meta + (p.VS * (p.BT + 4) + p.VS * (p.BK + 4) + (p.stage === 'bwd_hdo' && p.gate !== 'none' ? p.VS * p.BK : 0)) * f;
    case 'bwd_dg':
      return meta + p.BT * f + (p.BT / 8) * f;
    default:
      throw new Error(`workgroupBytes: unknown template ${template}`);
  }
}

/** Runtime sizes of the WGSL buffers of an impl, as size expressions over B, T, S: the plan's capacities. */
export function wgslSizes(impl: Impl, c: PlanConstants): Record<string, Size> {
  const p = planSizes(c);
  if (impl === 'mask') {
    // mask: one segment per sequence, slots are tokens
    return { NTOK: p.TOKENS, SEQ_CHUNKS: p.SEQ_CHUNKS, NSEG: 'S', NSEG_SHARED: 'S', CHUNK_CAP: p.SEQ_CHUNKS, SLOTS: p.TOKENS, SHARED_SLOTS: p.TOKENS };
  }
  return {
    NTOK: p.TOKENS,
    SEQ_CHUNKS: p.SEQ_CHUNKS,
    NSEG: p.SEGS,
    NSEG_SHARED: p.SHARED_SEGS,
    CHUNK_CAP: p.CHUNKS,
    SLOTS: p.SLOTS,
    SHARED_SLOTS: p.SHARED_SLOTS,
  };
}

function tensorDims(name: string, spec: KernelSpec, c: PlanConstants): { dims: string[]; shape: Size[] } {
  const gw = c.KG;
  const tok = (d: number | null, dn: string) => (d === null ? { dims: ['B', 'T', 'H'], shape: ['B', 'T', c.H] as Size[] } : { dims: ['B', 'T', 'H', dn], shape: ['B', 'T', c.H, d] as Size[] });
  switch (name) {
    case 'q':
    case 'k':
    case 'qr':
    case 'kr':
      return tok(c.K, 'K');
    case 'v':
    case 'o':
    case 'do':
      return tok(c.V, 'V');
    case 'g':
    case 'gr':
      return gw === 1 ? tok(null, '') : tok(c.K, 'K');
    case 'e':
      return c.R === 1 ? { dims: ['B', 'T', 'N'], shape: ['B', 'T', c.N] } : { dims: ['B', 'T', 'H', 'N'], shape: ['B', 'T', c.H, c.N] };
    case 'h0':
    case 'ht':
    case 'dht':
      return { dims: ['S', 'P', 'H', 'K', 'V'], shape: ['S', c.P, c.H, c.K, c.V] };
    case 'cu_seqlens':
      return { dims: ['S+1'], shape: [add('S', 1)] };
    default:
      if (name.startsWith('d')) return tensorDims(name.slice(1), spec, c);
      throw new Error(`tensorDims: ${name}`);
  }
}

function sizeOf(shape: Size[]): Size {
  return mul(...shape);
}

/** Builds the WGSL program (kernels, buffers, dispatches) of one impl plan, for one io storage dtype. */
export function buildProgram(spec: KernelSpec, plan: KernelPlan, ip: ImplPlan, io: 'f32' | 'f16', templateHashes: Record<string, string>): WgslProgram {
  checkSupported(spec);
  const c = plan.consts;
  const impl = ip.impl;
  const mask = impl === 'mask';
  const routed = c.N > 0;
  const own = routed && spec.state.routedInputs === 'own';
  const gate = gateKind(spec);
  const backward = spec.passes.includes('backward');
  const sizes = wgslSizes(impl, c);
  const sl = chooseSlices(c);
  const Z = mask ? c.P * c.H : c.HS;
  const ZD = mask ? c.H : c.HS;
  const NKQ = Math.ceil(c.K / sl.KQ);
  const WG = plan.config.threads;
  if (WG > 256 || WG % 32 !== 0) throw new Error(`threads ${WG}: WGSL kernels need a multiple of 32 up to 256 (WebGPU guarantees 256 invocations per workgroup)`);
  if (WG % c.BT !== 0 || WG % sl.KQ !== 0 || WG % (c.BV / 4) !== 0) {
    throw new Error(`threads ${WG} must be a multiple of chunk ${c.BT}, of KQ ${sl.KQ} and of BV/4 ${c.BV / 4} (register tiles of the chunk kernels)`);
  }
  if (WG % (c.BK / 4) !== 0) throw new Error(`threads ${WG} must be a multiple of BK/4 ${c.BK / 4} (register tiles of bwd_hdo)`);
  if ((c.BK * c.BV) % WG !== 0) throw new Error(`BK ${c.BK} × BV ${c.BV} = ${c.BK * c.BV} state elements must be a multiple of threads ${WG}`);

  // ---- physical buffers ----------------------------------------------------------------------
  const buffers: PhysBuffer[] = [];
  const byName = new Map(ip.buffers.map((b) => [b.name, b]));
  const caller = (name: string) => {
    const b = byName.get(name);
    if (!b) return;
    const { dims, shape } = tensorDims(name, spec, c);
    buffers.push({ name, elem: b.storage === 'io' ? 'io' : b.storage, role: b.kind as PhysBuffer['role'], size: sizeOf(shape), dims, shape, doc: b.doc });
  };
  for (const b of ip.buffers) if (['input', 'output', 'cotangent', 'gradient'].includes(b.kind)) caller(b.name);
  // bf16 specs are stored as f32 on WGSL; f16 follows the adapter variant.
  const NR = routed ? mul(sizes.NTOK, c.R * c.N) : 0;
  const metaViews: BufferView[] = [];
  if (routed) {
    metaViews.push(
      { name: 'rw', offsetField: 'o_rw', size: NR, doc: byName.get('rw')!.doc },
      { name: 'rr', offsetField: 'o_rr', size: NR, doc: byName.get('rr')!.doc },
      { name: 'rp', offsetField: 'o_rp', size: NR, doc: byName.get('rp')!.doc },
      { name: 'rsel', offsetField: 'o_rsel', size: NR, doc: byName.get('rsel')!.doc },
    );
  }
  metaViews.push(
    { name: 'seg_info', offsetField: 'o_seg_info', size: mul(sizes.NSEG, 4), doc: byName.get('seg_info')!.doc },
    { name: 'chunk_info', offsetField: 'o_chunk_info', size: mul(sizes.CHUNK_CAP, 4), doc: byName.get('chunk_info')!.doc },
    { name: 'chunk_count', offsetField: 'o_chunk_count', size: 1, doc: 'number of valid chunk_info rows' },
  );
  if (!mask && routed) {
    metaViews.push(
      { name: 'seg_tokens', offsetField: 'o_seg_tokens', size: sizes.SLOTS, doc: 'token of every routed slot (shared slots are not stored: slot − r·B·T)' },
      { name: 'tok_slot', offsetField: 'o_tok_slot', size: NR, doc: byName.get('tok_slot')!.doc },
      { name: 'seg_count', offsetField: 'o_seg_count', size: mul('S', c.R * c.N), doc: byName.get('seg_count')!.doc },
    );
  }
  const packedSize = (views: BufferView[]) => add(...views.map((v) => (typeof v.size === 'number' ? v.size : `(${v.size})`)));
  buffers.push({ name: 'tables', elem: 'u32', role: 'saved', size: packedSize(metaViews), views: metaViews, doc: 'routing tables and segment/chunk indices (u32; floats stored as bits)' });
  buffers.push({ name: 'h', elem: 'f32', role: 'saved', size: mul(sizes.CHUNK_CAP, Z, c.K, c.V), doc: byName.get('h')!.doc });
  buffers.push({ name: 'attn', elem: 'f32', role: 'saved', size: mul(sizes.CHUNK_CAP, Z, c.BT, c.BT), doc: 'intra-chunk matrix A_ts (s ≤ t, zero above) of every (chunk, stream head)' });
  buffers.push({ name: 'qhat', elem: 'f32', role: 'saved', size: mul(sizes.CHUNK_CAP, Z, c.BT, c.K), doc: 'q̃ ⊙ exp(G) of every slot of every (chunk, stream head), zero past the chunk end' });
  buffers.push({ name: 'khat', elem: 'f32', role: 'saved', size: mul(sizes.CHUNK_CAP, Z, c.BT, c.K), doc: 'k̃ ⊙ exp(G_last − G) of every slot of every (chunk, stream head), zero past the chunk end' });
  if (gate !== 'none') buffers.push({ name: 'gdec', elem: 'f32', role: 'saved', size: mul(sizes.CHUNK_CAP, Z, c.K), doc: 'exp(G_last) per channel of every (chunk, stream head)' });
  if (!mask) buffers.push({ name: 'o_slot', elem: 'f32', role: 'scratch', size: mul(sizes.SLOTS, c.HS, c.V), doc: byName.get('o_slot')!.doc });
  if (backward) {
    const rows: Size = mask ? mul(c.P, sizes.NTOK, c.H) : mul(sizes.SLOTS, c.HS);
    buffers.push({ name: 'dh', elem: 'f32', role: 'scratch', size: mul(sizes.CHUNK_CAP, Z, c.K, c.V), doc: byName.get('dh')!.doc });
    buffers.push({ name: 'dattn', elem: 'f32', role: 'scratch', size: mul(sizes.CHUNK_CAP, ZD, c.BT, c.BT), doc: 'D_ts = do_t · v_s per (chunk, head), folded: entry [t][s] holds D_ts for s ≤ t and D_st for s > t' });
    buffers.push({ name: 'p_hdo', elem: 'f32', role: 'scratch', size: mul(sizes.CHUNK_CAP, Z, c.BT, c.K), doc: '(h do_t) per slot and channel of every (chunk, stream head): phase 1 of dq̃' });
    buffers.push({ name: 'p_vdh', elem: 'f32', role: 'scratch', size: mul(sizes.CHUNK_CAP, Z, c.BT, c.K), doc: '(dh v_t) per slot and channel of every (chunk, stream head): phase 1 of dk̃' });
    if (gate !== 'none') buffers.push({ name: 'p_hdh', elem: 'f32', role: 'scratch', size: mul(sizes.CHUNK_CAP, Z, c.K), doc: 'Σ_v h ⊙ dh per channel of every (chunk, stream head), for dg at the last slot' });
    const part = mask ? '_part' : '_slot';
    const qk: BufferView[] = [
      { name: `dq${part}`, offsetField: 'o_dq', size: mul(rows, c.K), doc: byName.get(`dq${part}`)!.doc },
      { name: `dk${part}`, offsetField: 'o_dk', size: mul(rows, c.K), doc: byName.get(`dk${part}`)!.doc },
    ];
    buffers.push({ name: 'dqk_part', elem: 'f32', role: 'scratch', size: packedSize(qk), views: qk, doc: 'per stream: gradients w.r.t. the masked q and k' });
    buffers.push({ name: 'dv_part', elem: 'f32', role: 'scratch', size: mul(rows, c.V), doc: byName.get(`dv${part}`)!.doc });
    if (gate !== 'none') {
      const gv: BufferView[] = [{ name: `dg${part}`, offsetField: 'o_dg', size: mul(rows, c.KG), doc: byName.get(`dg${part}`)!.doc }];
      if (gate === 'scalar') gv.push({ name: 'dg_tile', offsetField: 'o_dgk', size: mul(sizes.CHUNK_CAP, Z, NKQ, c.BT), doc: 'scalar gates: dG of each chunk row summed over one KQ tile of channels' });
      buffers.push({ name: 'dg_part', elem: 'f32', role: 'scratch', size: packedSize(gv), views: gv, doc: 'per stream: gradient w.r.t. the masked gate' });
    }
  }
  const present = new Set(buffers.map((b) => b.name));

  // ---- uniforms --------------------------------------------------------------------------------
  const uniforms: UniformField[] = [
    { name: 'B', value: 'B', doc: 'batch rows' },
    { name: 'T', value: 'T', doc: 'tokens per row' },
    { name: 'S', value: 'S', doc: 'sequences' },
    { name: 'ntok', value: sizes.NTOK, doc: 'B·T' },
    { name: 'nseg', value: sizes.NSEG, doc: 'segments' },
    { name: 'nseg_shared', value: sizes.NSEG_SHARED, doc: 'shared-partition segments (first in the segment order)' },
    { name: 'shared_slots', value: sizes.SHARED_SLOTS, doc: 'slots of the shared segments' },
    { name: 'chunk_cap', value: sizes.CHUNK_CAP, doc: 'chunk table capacity' },
  ];
  for (const b of buffers) {
    let off: Size = 0;
    for (const v of b.views ?? []) {
      uniforms.push({ name: v.offsetField, value: off, doc: `element offset of ${v.name} in ${b.name}` });
      off = add(typeof off === 'number' ? off : `(${off})`, typeof v.size === 'number' ? v.size : `(${v.size})`);
    }
  }

  // ---- kernels -------------------------------------------------------------------------------
  const kernels: KernelDef[] = [];
  const base = {
    impl,
    io,
    layout: spec.layout,
    gate,
    H: c.H,
    K: c.K,
    V: c.V,
    N: c.N,
    P: c.P,
    R: c.R,
    HS: c.HS,
    Z,
    ZD,
    BT: c.BT,
    BK: c.BK,
    BV: c.BV,
    WG,
    KW: c.KW,
    KR: c.KR,
    SHARED: c.SHARED,
    OWN: (own ? 1 : 0) as 0 | 1,
    SCALE: c.SCALE,
    SCALE_K: (spec.route?.scaleK ? 1 : 0) as 0 | 1,
    SCALE_Q: (spec.route?.scaleQ ? 1 : 0) as 0 | 1,
    PER_HEAD: (c.R > 1 ? 1 : 0) as 0 | 1,
    HAS_H0: (spec.initialState ? 1 : 0) as 0 | 1,
    HAS_HT: (spec.finalState ? 1 : 0) as 0 | 1,
    ...sl,
    NKQ,
  };
  const src = (source: KernelParams['source'], names: string[]) => {
    const out: string[] = [];
    for (const n of names) {
      const routedName = n === 'q' ? 'qr' : n === 'k' ? 'kr' : n === 'g' ? 'gr' : null;
      // q/k/g feed the shared streams, and the routed ones too unless routed inputs are 'own'.
      const baseUsed = c.SHARED === 1 || !own || !routedName;
      if (source !== 'routed' && baseUsed && present.has(n)) out.push(n);
      if (source !== 'shared' && own && routedName && present.has(routedName)) out.push(routedName);
    }
    return out;
  };
  const add_ = (o: {
    stage: string;
    planStage: string;
    template: string;
    wg?: number;
    grid: [Size, Size, Size];
    reads: string[];
    writes: string[];
    source?: KernelParams['source'];
    zOff?: number;
    /** Read buffers this kernel declares as vec4 arrays. */
    vec4?: string[];
  }): KernelDef => {
    const params: KernelParams = { ...base, stage: o.stage, source: o.source ?? 'all', Z_OFF: o.zOff ?? 0, WG: o.wg ?? WG, templateHash: templateHashes[o.template] ?? '' };
    const bindings: KernelBinding[] = [];
    const seen = new Set<string>();
    const push = (name: string, access: 'read' | 'read_write') => {
      if (!present.has(name)) return;
      const ex = bindings.find((b) => b.buffer === name);
      if (ex) {
        if (access === 'read_write') ex.access = 'read_write';
        return;
      }
      seen.add(name);
      bindings.push({ binding: bindings.length + 1, buffer: name, access });
    };
    for (const r of o.reads) push(r, 'read');
    for (const w of o.writes) push(w, 'read_write');
    for (const b of bindings) if (o.vec4?.includes(b.buffer)) b.vec4 = true;
    const id = `${o.stage}_${impl}_${hash12(params)}`;
    const k: KernelDef = {
      id,
      stage: o.stage,
      planStage: o.planStage,
      impl,
      template: o.template,
      workgroupSize: params.WG,
      grid: o.grid,
      bindings,
      params,
      workgroupBytes: workgroupBytes(o.template, params),
    };
    if (k.workgroupBytes > WORKGROUP_STORAGE_BUDGET) {
      throw new Error(`kernel ${o.stage} (${impl}) needs ${k.workgroupBytes} bytes of workgroup storage at chunk ${c.BT}, BK ${c.BK}, BV ${c.BV}, threads ${params.WG}; WebGPU guarantees ${WORKGROUP_STORAGE_BUDGET} on every adapter`);
    }
    if (bindings.length > STORAGE_BUFFER_BUDGET) {
      throw new Error(`kernel ${o.stage} (${impl}) binds ${bindings.length} storage buffers; the WGSL target keeps kernels at ${STORAGE_BUFFER_BUDGET} or fewer`);
    }
    kernels.push(k);
    return k;
  };

  const forward: Dispatch[] = [];
  const backwardD: Dispatch[] = [];
  const fw = (k: KernelDef) => forward.push({ kernel: k.id, grid: k.grid });
  const bw = (k: KernelDef) => backwardD.push({ kernel: k.id, grid: k.grid });
  const nkt = Math.ceil(c.K / c.BK);
  const nvt = Math.ceil(c.V / c.BV);
  const rowsCap = sizes.CHUNK_CAP;
  const gates = src('all', ['g']);
  // Streams with both q/k/g and qr/kr/gr bound: split where the budget needs it (bwd_dqk).
  const splitSources: KernelParams['source'][] = own && c.SHARED ? ['shared', 'routed'] : ['all'];

  if (routed) {
    fw(
      add_({
        stage: 'route',
        planStage: 'route',
        template: 'route',
        wg: 64,
        grid: [ceilDiv(mul(sizes.NTOK, c.R), 64), 1, 1],
        reads: ['e'],
        writes: ['tables'],
      }),
    );
  }
  if (!mask && routed) {
    fw(add_({ stage: 'bucket_rank', planStage: 'bucket_rank', template: 'bucket_rank', wg: 256, grid: [mul('S', c.R), 1, 1], reads: ['cu_seqlens'], writes: ['tables'] }));
  }
  fw(add_({ stage: mask ? 'seq_index' : 'seg_index', planStage: mask ? 'seq_index' : 'seg_index', template: 'seg_index', wg: 256, grid: [1, 1, 1], reads: ['cu_seqlens'], writes: ['tables'] }));
  if (!mask && routed) {
    fw(add_({ stage: 'bucket_scatter', planStage: 'bucket_scatter', template: 'bucket_scatter', wg: 64, grid: [ceilDiv(mul(sizes.NTOK, c.R), 64), 1, 1], reads: ['cu_seqlens'], writes: ['tables'] }));
  }
  const segGrid: Size = mask ? 'S' : sizes.NSEG;
  fw(
    add_({
      stage: 'fwd_attn',
      planStage: 'fwd_o',
      template: 'fwd_attn',
      grid: [1, rowsCap, Z],
      reads: [...src('all', ['q', 'k']), ...gates, 'tables'],
      writes: ['attn', 'qhat', 'khat', 'gdec'],
    }),
  );
  fw(
    add_({
      stage: 'fwd_h',
      planStage: 'fwd_h',
      template: 'state_pass',
      grid: [nkt * nvt, segGrid, Z],
      reads: ['khat', 'v', 'gdec', 'tables', 'h0'],
      writes: ['h', 'ht'],
    }),
  );
  fw(
    add_({
      stage: 'fwd_o',
      planStage: 'fwd_o',
      template: 'fwd_o',
      grid: [nvt, rowsCap, mask ? c.H : c.HS],
      reads: ['qhat', 'v', 'tables', 'h', 'attn'],
      writes: [mask ? 'o' : 'o_slot'],
    }),
  );
  if (!mask) {
    fw(add_({ stage: 'fwd_reduce', planStage: 'fwd_reduce', template: 'fwd_reduce', wg: 64, grid: [sizes.NTOK, 1, 1], reads: ['o_slot', 'tables'], writes: ['o'] }));
  }

  if (backward) {
    bw(
      add_({
        stage: 'bwd_dh',
        planStage: 'bwd_dh',
        template: 'state_pass',
        grid: [nkt * nvt, segGrid, Z],
        reads: ['qhat', 'do', 'gdec', 'tables', 'dht'],
        writes: ['dh', 'dh0'],
      }),
    );
    bw(add_({ stage: 'bwd_dov', planStage: 'bwd_dqkvg', template: 'bwd_dov', grid: [1, rowsCap, ZD], reads: ['do', 'v', 'tables'], writes: ['dattn'] }));
    bw(
      add_({
        stage: 'bwd_dv',
        planStage: 'bwd_dqkvg',
        template: 'bwd_dv',
        grid: [nvt, rowsCap, Z],
        reads: ['khat', 'do', 'tables', 'attn', 'dh'],
        writes: ['dv_part'],
      }),
    );
    bw(add_({ stage: 'bwd_hdo', planStage: 'bwd_dqkvg', template: 'bwd_hdo', grid: [nkt, rowsCap, Z], reads: ['do', 'h', ...(gate !== 'none' ? ['dh'] : []), 'tables'], writes: ['p_hdo', 'p_hdh'] }));
    bw(add_({ stage: 'bwd_vdh', planStage: 'bwd_dqkvg', template: 'bwd_hdo', grid: [nkt, rowsCap, Z], reads: ['v', 'dh', 'tables'], writes: ['p_vdh'] }));
    for (const source of splitSources) {
      const zOff = mask && source === 'routed' ? c.H : 0;
      const zCount = !mask || source === 'all' ? Z : source === 'shared' ? c.H : c.N * c.H;
      bw(
        add_({
          stage: source === 'all' ? 'bwd_dqk' : `bwd_dqk_${source}`,
          planStage: 'bwd_dqkvg',
          template: 'bwd_dqk',
          grid: [NKQ, rowsCap, zCount],
          reads: [...src(source, ['q', 'k', 'g']), 'tables', 'p_hdo', 'p_vdh', 'p_hdh', 'dattn'],
          writes: ['dqk_part', 'dg_part'],
          vec4: ['dattn'],
          source,
          zOff,
        }),
      );
    }
    if (gate === 'scalar') {
      bw(add_({ stage: 'bwd_dg', planStage: 'bwd_dqkvg', template: 'bwd_dg', grid: [1, rowsCap, Z], reads: ['tables'], writes: ['dg_part'] }));
    }
    const gradOut = ['dq', 'dk', 'dv', 'dg', 'dqr', 'dkr', 'dgr'];
    bw(
      add_({
        stage: 'bwd_reduce',
        planStage: 'bwd_reduce',
        template: 'bwd_reduce',
        wg: 64,
        grid: [sizes.NTOK, 1, 1],
        reads: ['tables', 'dqk_part', 'dv_part', 'dg_part'],
        writes: gradOut,
      }),
    );
    if (routed) {
      bw(
        add_({
          stage: 'bwd_route',
          planStage: 'bwd_reduce',
          template: 'bwd_route',
          wg: 64,
          grid: [sizes.NTOK, 1, 1],
          reads: [...(own ? ['qr', 'kr'] : ['q', 'k']), 'tables', 'dqk_part'],
          writes: ['de'],
        }),
      );
    }
  }
  return { impl, io, kernels, buffers, uniforms, forward, backward: backwardD, sizes };
}
