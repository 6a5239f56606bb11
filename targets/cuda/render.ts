/**
 * CUDA rendering: turns a KernelPlan into the view the Handlebars templates read (config template
 * `config.h.hbs`, skeleton `kernels.cu.hbs` with the gate and impl hooks, instance template
 * `launch.cu.hbs`), checks CUDA-specific legality with the values named, and renders every file:
 *   <id>.h           launcher ABI (params struct, extern "C" prototypes)
 *   <id>.cu          kernels + launchers
 *   <id>_driver.cu   standalone driver (binary files in, binary files out; no PyTorch)
 *   <id>_torch.cpp   PyTorch extension glue;  <id>_torch.py  autograd.Function + fla-style function
 *   manifest.json    identity, files, workspace, stages
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CudaArch, KernelSpec } from '../../dsl/kernel-spec.js';
import { type ImplPlan, type KernelPlan, type PlanBuffer, type PlanStage, checkConfig, planSizes } from '../../codegen/plan.js';
import { type Size, add, mul } from '../../codegen/expr.js';
import { createTemplateEnv, loadTemplates } from '../../codegen/render.js';
import type { RenderedFile } from '../../codegen/target.js';

const TEMPLATE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'templates');

/** Largest dynamic shared memory per block (bytes) by architecture (CUDA programming guide, opt-in limit). */
export const SMEM_LIMIT: Record<CudaArch, number> = {
  sm_80: 163 * 1024,
  sm_86: 99 * 1024,
  sm_89: 99 * 1024,
  sm_90: 227 * 1024,
  sm_90a: 227 * 1024,
};

/** Archs a spec is built for (CUDA block of `targets`, else sm_80 + sm_90). */
export function specArchs(spec: KernelSpec): CudaArch[] {
  return spec.targets.cuda?.archs?.length ? spec.targets.cuda.archs : ['sm_80', 'sm_90'];
}

export class CudaLegalityError extends Error {
  constructor(
    readonly issues: { code: string; message: string }[],
    readonly kernel: string,
  ) {
    super(`CUDA target cannot build '${kernel}':\n${issues.map((i) => `  ${i.code}: ${i.message}`).join('\n')}`);
  }
}

/** Stable kernel identity: spec name, spec hash and every compile-time tuning parameter (never runtime sizes). */
export function kernelIdentity(spec: KernelSpec, plan: KernelPlan): string {
  const name = spec.name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  const c = plan.config;
  return `ssec_${name}_${plan.specHash.slice(0, 8)}_c${c.chunk}k${c.BK}v${c.BV}t${c.threads}`;
}

/** Tiles of the chunk stages (fwd_A, fwd_o, bwd_dA, bwd_dv, bwd_dqkg): K and V are walked in KC / VC columns. */
export function chunkTiles(spec: Pick<KernelSpec, 'keyDim' | 'valueDim'>): { KC: number; VC: number } {
  const t = (d: number) => (d >= 32 ? 32 : 16);
  return { KC: t(spec.keyDim), VC: t(spec.valueDim) };
}

/**
 * K tile width of fwd_o on the tensor-core path: 64 where K allows (half the K steps, each a load/sync round,
 * of KC = 32). Measured on the H100 (docs/cuda.md): fwd_o -15 %; fwd_A slower (shared memory cut it from 4
 * to 3 blocks per SM) and bwd_dv no faster at 64, so they, and bwd_dqkg, keep KC.
 */
export function wideKTile(spec: Pick<KernelSpec, 'keyDim' | 'valueDim' | 'dtype'>): number {
  const { KC } = chunkTiles(spec);
  return tensorCores(spec) && spec.keyDim >= 64 ? 64 : KC;
}

/**
 * Whether the chunk stages run their exponent-free products on tensor cores (mma.sync bf16 -> f32,
 * sm_80+): for bf16/f16 I/O, where bf16 operand rounding is within the dtype's own precision; f32
 * specs keep exact f32 FMA (their 1e-5 tolerance against float64 rules out bf16/tf32 operands).
 */
export function tensorCores(spec: Pick<KernelSpec, 'dtype'>): boolean {
  return spec.dtype !== 'f32';
}

/** Shared memory per SM on sm_80 and sm_90, and per block reserved by the runtime. */
const SMEM_PER_SM: Record<'sm_80' | 'sm_90', number> = { sm_80: 164 * 1024, sm_90: 228 * 1024 };
const SMEM_RESERVED_PER_BLOCK = 1024;
/**
 * Registers per thread the min-blocks bound leaves at least (65536 / (threads * min blocks) >= this):
 * 160 for tensor-core specs (3 blocks of 128 threads keep 168), 255 for f32 specs, whose per-element
 * paths hold larger register tiles (at 168 their state walks spill).
 */
const REG_FLOOR = { tc: 160, f32: 255 };
/**
 * Stages with their own register floor: fwd_ho holds 2·K/8 state and BT/2 output accumulators per thread; up to
 * K = 128 they fit 128 registers without spills (2 blocks of 256 threads per SM, which its shared memory allows
 * on sm_90), above that they take 1 block per SM.
 */
function regFloorOf(stage: string, spec: KernelSpec): number | undefined {
  if (stage === 'fwd_ho') return spec.keyDim <= 128 ? 128 : 255;
  return undefined;
}

/**
 * `__launch_bounds__` min-blocks of a stage on an arch: the blocks per SM its shared memory allows there,
 * capped where REG_FLOOR registers per thread still fit (tensor-core specs, 3 blocks of 128 threads: 168). It stops
 * ptxas from spending registers on occupancy that shared memory cannot give (sm_80's one-kernel chunk backward
 * was held at 168 registers and spilled; docs/cuda.md) and holds a stage that shared memory allows 3 blocks
 * per SM at 168 registers (bwd_dqkg: 252 registers and 2 blocks otherwise). The CUDA compile tests check
 * that no stage spills under these bounds. Kernels take the sm_90 value where __CUDA_ARCH__ >= 900, else
 * the sm_80 one. No dynamic shared memory: 1.
 */
export function minBlocksPerSm(
  threads: number,
  sharedFloats: number | undefined,
  arch: 'sm_80' | 'sm_90' = 'sm_80',
  tc = false,
  regFloor = REG_FLOOR[tc ? 'tc' : 'f32'],
): number {
  const regCap = Math.max(1, Math.floor(65536 / (threads * regFloor)));
  if (!sharedFloats) return 1;
  const bySmem = Math.floor(SMEM_PER_SM[arch] / (4 * sharedFloats + SMEM_RESERVED_PER_BLOCK));
  return Math.max(1, Math.min(bySmem, regCap));
}

/**
 * Chunk buffers of the tensor-core state walks (SW_NBUF in kernels.cu.hbs): three where the tiles come by
 * cp.async (bf16 I/O, K, V, BK and BV multiples of 8), so two chunks' tiles are in flight during a chunk's
 * product; two else (the loads are synchronous and one chunk ahead is all a buffer more could hold).
 */
export function walkBuffers(spec: KernelSpec, plan: KernelPlan): number {
  const { BK, BV } = plan.consts;
  const async = tensorCores(spec) && spec.dtype === 'bf16' && [spec.keyDim, spec.valueDim, BK, BV].every((d) => d % 8 === 0);
  return async ? 3 : 2;
}

/** cp.async stages of fwd_o's K walk (OUT_NS in kernels.cu.hbs) and of bwd_dv's (DV_NS). */
export const OUT_STAGES = 2;
export const DV_STAGES = 3;

/** Shared-memory floats of each chunk stage; mirrors the constexprs of kernels.cu.hbs (static_assert-checked). */
export function stageSharedFloats(spec: KernelSpec, plan: KernelPlan): Record<string, number> {
  const { BT, BK, BV } = plan.consts;
  const { KC, VC } = chunkTiles(spec);
  const KW = wideKTile(spec);
  const slot = 6 * BT;  // SlotSm: token (8 bytes), write / read weights, writer / reader flags
  const tc = tensorCores(spec);
  const variant = cudaVariant(spec, plan);
  const pad = tc ? 4 : 1;  // row padding of the f32 tiles (PAD in kernels.cu.hbs)
  // Operand tiles (OP_FLOATS): bf16 rows padded by 8 elements on the tensor-core path, f32 rows padded by PAD else.
  const op = (rows: number, w: number) => (tc ? (rows * (w + 8)) / 2 : rows * (w + pad));
  const gate = (ld: number) => (spec.update === 'gla' ? BT * ld : spec.update === 'linear' ? 0 : BT);
  // Tensor-core specs read q^ / k^ and e^{G_L} saved by fwd_A (no gate tiles in fwd_h, bwd_dh, fwd_o, bwd_dv);
  // the state walks keep walkBuffers() chunk buffers (SW_BUF).
  // bwd_dqkg (DQKG_REG / DQKG_PIPE in kernels.cu.hbs): register h.do / dh.v tiles when every warp gets whole
  // rows of 16x8 tiles; then a double-buffered V walk for bf16 I/O with 8-aligned K, V.
  const warps = plan.config.threads / 32;
  const dqkgReg = tc && (BT / 16) % warps === 0 && (BT / 16 / warps) * (KC / 8) <= 8;
  const dqkgPipe = dqkgReg && spec.dtype === 'bf16' && spec.valueDim % 8 === 0 && spec.keyDim % 8 === 0 && VC % 8 === 0 && KC % 8 === 0;
  const dqkgWalk = (dqkgPipe ? 2 : 1) * (2 * op(BT, VC) + 2 * op(KC, VC));
  const dqkgIntra = (dqkgReg ? 2 * BT * (KC + pad) : 0) + BT * (BT + pad);
  // bwd_dv (DV_PIPE): DV_STAGES buffers of k^ / dh tiles of the K walk.
  // fwd_o (OUT_PIPE): OUT_STAGES buffers of q^ / h tiles of the K walk, the second product's tiles over them.
  const outPipe = tc && spec.keyDim % 8 === 0 && spec.valueDim % 8 === 0 && KW % 8 === 0 && BV % 8 === 0;
  const dvPipe = tc && spec.keyDim % 8 === 0 && spec.valueDim % 8 === 0 && KC % 8 === 0 && BV % 8 === 0;
  // fwd_A, bwd_dqkg (GLA_TAB_FLOATS): the per-channel block tables and flags of tensor-core gla.
  const nb = Math.max(1, Math.floor(BT / 16));
  const glaTab = tc && spec.update === 'gla' ? Math.ceil((((nb * (nb + 1)) / 2 + 2 * nb) * KC + nb) / 4) * 4 : 0;
  // fwd_A (FWD_A_AROOM): sA's room holds the bf16 q' and k' F tiles of tensor-core gla during the K walk.
  const fwdA16 = tc && spec.update === 'gla' ? op(BT, KC) + op(16 * ((nb * (nb + 1)) / 2), KC) : 0;
  // fwd_h / bwd_dh (SW_STAGE): the staged bf16 state tile where V and BV are multiples of 8.
  const swStage = tc && spec.valueDim % 8 === 0 && BV % 8 === 0 ? op(BK, BV) : 0;
  const fwdH = tc ? walkBuffers(spec, plan) * (slot + op(BT, BK) + op(BT, BV) + BK) + swStage : slot + BT * (BK + pad) + BT * (BV + pad) + gate(BK + pad) + BK;
  return {
    ...(variant.fused ? { fwd_ho: fwdHoFloats(spec, plan) } : variant.wg ? { fwd_ho: wgHoFloats(spec, plan) } : {}),
    fwd_h: fwdH,
    bwd_dh: fwdH,
    fwd_A: slot + 2 * BT * (KC + pad) + gate(KC + pad) + Math.max(BT * (BT + pad), fwdA16) + glaTab,
    fwd_o: outPipe
      ? slot + Math.max(OUT_STAGES * (op(BT, KW) + op(KW, BV)), op(BT, BT) + op(BT, BV), BT * (BV + pad))
      : slot + (tc ? op(BT, KW) : BT * (KW + pad) + gate(KW + pad)) + op(KW, BV) + op(BT, BT) + op(BT, BV) + (tc ? BT * (BV + pad) : 0),
    bwd_dA: slot + 2 * op(BT, VC) + BT * (BT + pad),
    bwd_dv:
      slot + BT * (BV + pad) + Math.max(op(BT, BT) + op(BT, BV), (dvPipe ? DV_STAGES : 1) * ((tc ? op(BT, KC) : BT * (KC + pad) + gate(KC + pad)) + op(KC, BV))),
    bwd_dqkg: slot + (dqkgReg ? 2 : 4) * BT * (KC + pad) + gate(KC + pad) + BT + 2 * KC + glaTab + Math.max(dqkgWalk, dqkgIntra),
  };
}
const SMEM_EXPR: Record<string, string> = {
  fwd_ho: 'FWD_HO_FLOATS',
  fwd_h: 'FWD_H_FLOATS',
  bwd_dh: 'BWD_DH_FLOATS',
  fwd_A: 'FWD_A_FLOATS',
  fwd_o: 'CHUNK_OUT_FLOATS',
  bwd_dA: 'BWD_DA_FLOATS',
  bwd_dv: 'BWD_DV_FLOATS',
  bwd_dqkg: 'BWD_DQKG_FLOATS',
};

/** Every reason the CUDA target cannot build this spec with this plan, values named. Empty = legal. */
export function checkCudaLegality(spec: KernelSpec, plan: KernelPlan): { code: string; message: string }[] {
  const issues = [...checkConfig(spec, plan.config)];
  if (spec.update === 'gdn') {
    issues.push({
      code: 'CUDA001',
      message: "update rule 'gdn' (gated delta rule) is not supported by the CUDA target yet; gla, decay and linear are (see docs/cuda.md)",
    });
  }
  const { BT, BK, BV } = plan.consts;
  const threads = plan.config.threads;
  const { KC, VC } = chunkTiles(spec);
  const tiles: [string, number][] = [
    [`state tile BK ${BK} x BV ${BV}`, BK * BV],
    [`intra-chunk matrix BT ${BT} x BT ${BT}`, BT * BT],
    [`output tile BT ${BT} x BV ${BV}`, BT * BV],
    [`dv tile BT ${BT} x VC ${VC}`, BT * VC],
    [`dq/dk tile BT ${BT} x KC ${KC}`, BT * KC],
  ];
  for (const [what, n] of tiles) {
    if (n % threads !== 0) issues.push({ code: 'CUDA002', message: `${what} = ${n} elements does not divide evenly over ${threads} threads` });
  }
  if (tensorCores(spec)) {
    const warps = threads / 32;
    if (BK % 16 !== 0 || BV % 8 !== 0 || BT % 16 !== 0 || ((BK / 16) * (BV / 8)) % warps !== 0) {
      issues.push({
        code: 'CUDA006',
        message: `tensor-core state tiles: BK ${BK} must be a multiple of 16, BV ${BV} of 8, chunk ${BT} of 16, and the ${(BK / 16) * (BV / 8)} 16x8 tiles of a BK x BV state must divide over ${warps} warps`,
      });
    }
  }
  if (threads < KC) issues.push({ code: 'CUDA003', message: `threads ${threads} < KC ${KC}: one thread per key column is needed in bwd_dqkg` });
  const floats = stageSharedFloats(spec, plan);
  const wgOnly = cudaVariant(spec, plan).wg;  // its fwd_ho runs on sm_90a only
  for (const arch of specArchs(spec)) {
    for (const [stage, f] of Object.entries(floats)) {
      if (wgOnly && stage === 'fwd_ho' && arch !== 'sm_90' && arch !== 'sm_90a') continue;
      const bytes = 4 * f;
      if (bytes > SMEM_LIMIT[arch]) {
        issues.push({
          code: 'CUDA004',
          message: `${stage} with chunk ${BT}, BK ${BK}, BV ${BV}, KC ${KC}, VC ${VC} needs ${(bytes / 1024).toFixed(1)} KiB of shared memory; ${arch} allows ${SMEM_LIMIT[arch] / 1024} KiB per block`,
        });
      }
    }
  }
  if (spec.state.partitions > 32) issues.push({ code: 'CUDA005', message: `N ${spec.state.partitions} routed partitions: at most 32 (warp-ballot bucketing)` });
  return issues;
}

// ---------------------------------------------------------------------------------------------
// View model

interface ParamField {
  decl: string;
  doc: string;
  fieldName: string;
  ptrType: string;
}

/** The fixed launcher ABI: every spec gets the same params struct (absent tensors are NULL). */
function paramFields(spec: KernelSpec, plan: KernelPlan): ParamField[] {
  const c = plan.consts;
  const io = ioCType(spec);
  const has = new Set(plan.impls[0].buffers.map((b) => b.name));
  const tok = (d: string) => (spec.layout === 'BHTD' ? `[B, H, T, ${d}]` : `[B, T, H, ${d}]`);
  const eShape = c.R === 1 ? `[B, T, ${c.N}]` : `[B, T, ${c.H}, ${c.N}]`;
  const state = `[S, ${c.P}, ${c.H}, ${c.K}, ${c.V}] float`;
  const G = c.KG === c.K && c.KG > 0 ? 'K' : '1';
  const rows: [string, string, string, string][] = [
    ['const void*', 'q', 'q', `${tok('K')} ${io}`],
    ['const void*', 'k', 'k', `${tok('K')} ${io}`],
    ['const void*', 'v', 'v', `${tok('V')} ${io}`],
    ['const void*', 'g', 'g', `${tok(G)} ${io} log-decay`],
    ['const void*', 'qr', 'qr', `${tok('K')} ${io} routed queries`],
    ['const void*', 'kr', 'kr', `${tok('K')} ${io} routed keys`],
    ['const void*', 'gr', 'gr', `${tok(G)} ${io} routed log-decay`],
    ['const void*', 'e', 'e', `${eShape} ${io} router logits`],
    ['const float*', 'h0', 'h0', `${state} initial states`],
    ['void*', 'o', 'o', `${tok('V')} ${io} output`],
    ['float*', 'ht', 'ht', `${state} final states`],
    ['const void*', 'do_', 'do', `${tok('V')} ${io} gradient w.r.t. o`],
    ['const float*', 'dht', 'dht', `${state} gradient w.r.t. ht`],
    ['void*', 'dq', 'dq', 'like q'],
    ['void*', 'dk', 'dk', 'like k'],
    ['void*', 'dv', 'dv', 'like v'],
    ['void*', 'dg', 'dg', 'like g'],
    ['void*', 'dqr', 'dqr', 'like qr'],
    ['void*', 'dkr', 'dkr', 'like kr'],
    ['void*', 'dgr', 'dgr', 'like gr'],
    ['void*', 'de', 'de', 'like e'],
    ['float*', 'dh0', 'dh0', 'like h0'],
  ];
  return rows.map(([t, field, name, doc]) => ({ decl: `${t} ${field}`, fieldName: field, ptrType: t, doc: has.has(name) ? doc : 'unused by this spec (NULL)' }));
}

function ioCType(spec: KernelSpec): string {
  return spec.dtype === 'bf16' ? '__nv_bfloat16' : spec.dtype === 'f16' ? '__half' : 'float';
}

const BUF_FIELD: Record<string, string> = {
  o_part: 'o_slot',
  dq_part: 'dq_s',
  dk_part: 'dk_s',
  dv_part: 'dv_s',
  dg_part: 'dg_s',
  dq_slot: 'dq_s',
  dk_slot: 'dk_s',
  dv_slot: 'dv_s',
  dg_slot: 'dg_s',
};

/** C expression of a plan size with B, T, S as long long in scope. */
function cSize(s: Size): string {
  return typeof s === 'number' ? `${s}LL` : `(${s})`;
}

/**
 * The workspace buffers of an impl (saved + scratch), with the CUDA deviation documented in
 * docs/cuda.md: varlen per-head buffers use H heads (not HS) so that per_head logits with a shared
 * partition have room for the shared segment's H heads.
 */
export function workspaceBuffers(plan: KernelPlan, ip: ImplPlan, v: CudaVariant = PLAIN): PlanBuffer[] {
  const saved = v.saved;
  const c = plan.consts;
  // CUDA numbers varlen slots as token (shared partition) and B*T + j (routed), whether or not the
  // spec has a shared partition, so slot-indexed buffers hold B*T + ROUTED_SLOTS rows.
  const slots = add(mul('B', 'T'), planSizes(c).ROUTED_SLOTS);
  const bufs = ip.buffers
    .filter((b) => b.kind === 'saved' || b.kind === 'scratch')
    .map((b) => {
      if (ip.impl !== 'varlen') return b;
      const shape = [...b.shape];
      if (/^(o_slot|d\w+_slot)$/.test(b.name)) shape[0] = slots;
      if (c.HS !== c.H && /^(h|dh|o_slot|d\w+_slot)$/.test(b.name)) shape[1] = c.H;
      return { ...b, shape };
    });
  if ((v.fused || v.wg) && ip.impl === 'mask') {
    // fwd_ho writes each virtual head's part of o; fwd_reduce sums them (the varlen impl has o_slot already).
    bufs.push({
      name: 'o_part',
      kind: 'scratch',
      storage: 'f32',
      shape: [c.P, 'B', 'T', c.H, c.V],
      doc: 'per virtual head: its part of o at reader tokens (fwd_ho, scale applied), summed by fwd_reduce',
    });
  }
  const h = bufs.find((b) => b.name === 'h');
  if (h) {
    bufs.push({
      name: 'attn',
      kind: 'saved',
      storage: 'f32',
      shape: [...h.shape.slice(0, -2), c.BT, c.BT],
      doc: 'intra-chunk matrix A of every chunk row of h (fwd_A), read by fwd_o and bwd_dv',
    });
    if (saved) {
      // Stored bf16 (the view's bf16Buffer): the values the mma products round to.
      const rows = [...h.shape.slice(0, -2), c.BT, c.K];
      bufs.push(
        { name: 'qhat', kind: 'saved', storage: 'f32', shape: rows, doc: 'q~ e^G of every chunk row of h (fwd_A; bf16), read by fwd_o and bwd_dh' },
        { name: 'khat', kind: 'saved', storage: 'f32', shape: rows, doc: 'k~ e^{G_L-G} of every chunk row of h (fwd_A; bf16), read by fwd_h and bwd_dv' },
        { name: 'gdec', kind: 'saved', storage: 'f32', shape: [...h.shape.slice(0, -2), c.K], doc: 'chunk decay e^{G_L} per channel of every chunk row of h (fwd_A), read by fwd_h and bwd_dh' },
      );
    }
    if (ip.backward.length) {
      // mask: the virtual heads of a head share their chunks' tokens, so one D per (chunk, head) (no P axis).
      const rows = ip.impl === 'mask' ? [h.shape[0], ...h.shape.slice(2, -2)] : h.shape.slice(0, -2);
      bufs.push({
        name: 'dattn',
        kind: 'scratch',
        storage: 'f32',
        shape: [...rows, c.BT, c.BT],
        doc: ip.impl === 'mask' ? 'D = do v^T of every (chunk, head) (bwd_dA), read by bwd_dqkg for each virtual head' : 'D = do v^T of every chunk row of h (bwd_dA), read by bwd_dqkg',
      });
    }
  }
  return bufs;
}

/** fwd_ho (kernels.cu.hbs HO_*): blocks of 256 threads, 64-wide V tiles, for K up to 256 (64 state accumulators per thread). */
const HO_THREADS = 256;
const HO_BV = 64;
const HO_KMAX = 256;
/**
 * Largest K at which the forward runs fwd_ho. Measured on an H200 (docs/cuda.md, 2026-12-03), fwd_ho (+ the mask
 * impl's fwd_reduce) against fwd_h + fwd_o: at K = 128 (bench config B, 2 blocks per SM) mask 1.82 against 1.89 ms,
 * varlen 0.75 against 0.89; at K = 256 (config A, where its 96 accumulators per thread leave 1 block per SM) mask
 * 1.64 against 1.38, varlen 0.79 against 0.72.
 */
const HO_KFUSED = 128;

/**
 * Stage variants of one spec: `saved` = fwd_A saves q^, k^, e^{G_L} (tensor-core specs); `fused` = the forward runs
 * fwd_ho (and, in the mask impl, fwd_reduce) instead of fwd_h + fwd_o; `wg` = on an sm_90a build running on a
 * compute-capability 9.0 GPU, the inference forward (no backward to follow) runs fwd_ho on wgmma (HO_WG in
 * kernels.cu.hbs), which stores no chunk states, instead of fwd_h + fwd_o (the launcher chooses at run time).
 */
export interface CudaVariant {
  saved: boolean;
  fused: boolean;
  wg: boolean;
}
const PLAIN: CudaVariant = { saved: false, fused: false, wg: false };

/**
 * Whether a spec gets the wgmma forward walk (kernels.cu.hbs HO_WG): bf16 I/O, K = 256 (two warpgroups of 128 keys),
 * chunk 64, V a multiple of the 64-wide V tile, and an arch list that includes Hopper. Measured against fwd_h + fwd_o
 * in docs/cuda.md ("What is left", item 4).
 */
export function wgmmaForward(spec: KernelSpec, plan: KernelPlan): boolean {
  return (
    tensorCores(spec) &&
    spec.dtype === 'bf16' &&
    spec.keyDim === WG_K &&
    spec.valueDim % HO_BV === 0 &&
    plan.consts.BT === 64 &&
    specArchs(spec).some((a) => a === 'sm_90' || a === 'sm_90a')
  );
}
const WG_K = 256;

/**
 * Shared-memory floats of the wgmma fwd_ho (WG_FLOATS in kernels.cu.hbs): two stages of q^, k^ (BT x K bf16 each), the
 * v and A tiles (BT x 64 bf16 each) and e^{G_L} (K f32), two slot tables, the f32 output tile (BT x 68), and 1 KiB to
 * move the stages to the 1024-byte boundary that the 128-byte swizzle needs.
 */
export function wgHoFloats(spec: KernelSpec, plan: KernelPlan): number {
  const { BT } = plan.consts;
  const stage = 2 * (2 * BT * spec.keyDim) + 2 * BT * HO_BV + 2 * BT * BT + 4 * spec.keyDim;
  return (2 * stage + 2 * 4 * 6 * BT + 4 * BT * (HO_BV + 4) + 1024) / 4;
}

/** Shared-memory floats of fwd_ho (FWD_HO_FLOATS): two step buffers (q^, k^ columns of one step), two chunk buffers (slot table, A, v tile, e^{G_L}), the f32 output tile, the two staged h_j step tiles (HO_STAGE, V a multiple of 8). */
export function fwdHoFloats(spec: KernelSpec, plan: KernelPlan): number {
  const { BT } = plan.consts;
  const k32 = Math.ceil(spec.keyDim / 32) * 32;
  const ks = (k32 / 2) % 32 === 0 ? 32 : 16;
  const op = (rows: number, w: number) => (rows * (w + 8)) / 2;
  const stage = spec.valueDim % 8 === 0 ? 2 * op(2 * ks, HO_BV) : 0;  // HO_STAGE: two staged h_j step tiles
  return 2 * (2 * op(BT, 2 * ks)) + 2 * (6 * BT + op(BT, BT) + op(BT, HO_BV) + k32) + BT * (HO_BV + 4) + stage;
}

/**
 * The spec's stage variant. fwd_ho runs for tensor-core specs with K <= HO_KFUSED whose fwd_ho fits the shared
 * memory of every arch the spec targets (else fwd_h + fwd_o, which tile K); its walk keeps the state on chip, so
 * the forward does not read every chunk state back (docs/cuda.md).
 */
export function cudaVariant(spec: KernelSpec, plan: KernelPlan): CudaVariant {
  const saved = tensorCores(spec);
  const fits = specArchs(spec).every((a) => 4 * fwdHoFloats(spec, plan) <= SMEM_LIMIT[a]);
  const fused = saved && spec.keyDim <= Math.min(HO_KMAX, HO_KFUSED) && fits;
  return { saved, fused, wg: saved && !fused && wgmmaForward(spec, plan) };
}

/**
 * The CUDA target's stages of one pass: the plan's, with `fwd_A` (the intra-chunk matrix once per
 * (chunk, stream) instead of once per V tile, saved for the backward pass) run first among the chunk
 * stages, and `bwd_dqkvg` run as `bwd_dA`, `bwd_dv` and `bwd_dqkg` (docs/cuda.md). With `saved`
 * (tensor-core specs) fwd_A also saves the decayed operands q^, k^ and the chunk decay, which fwd_h,
 * fwd_o, bwd_dh and bwd_dv read instead of recomputing the gate scan.
 */
export function cudaStages(plan: KernelPlan, ip: ImplPlan, passName: 'forward' | 'backward' | 'inference', v: CudaVariant = PLAIN): CudaStage[] {
  const c = plan.consts;
  const saved = v.saved;
  const fused = v.fused;
  const out: CudaStage[] = [];
  const pass = passName === 'backward' ? 'backward' : 'forward';
  const wg = v.wg && passName === 'inference';  // the wgmma walk serves the inference forward only
  const fwdO = ip[pass].find((st) => st.name === 'fwd_o');
  const hat = (names: string[]) => (saved ? names : []);
  // The mask impl's sum of the virtual heads' parts of o, after fwd_ho (either form).
  const maskReduce: PlanStage = {
    name: 'fwd_reduce',
    doc: 'per token and head: o = the shared part + the routed reader parts in ascending partition order (deterministic)',
    grid: [mul('B', 'T'), 1, 1],
    threads: 64,
    reads: ['o_part', ...(c.N > 0 ? ['rsel'] : [])],
    writes: ['o'],
  };
  for (const st of ip[pass]) {
    if (st.name === 'fwd_h' && fwdO) {
      out.push({
        name: 'fwd_A',
        doc: `intra-chunk matrix A of each (chunk, stream) over all of K, saved${saved ? ', with q^ = q~ e^G, k^ = k~ e^{G_L-G} and e^{G_L}' : ''} (CUDA stage)`,
        grid: [1, fwdO.grid[1], ip.impl === 'mask' ? c.P * c.H : fwdO.grid[2]],
        threads: fwdO.threads,
        reads: fwdO.reads.filter((r) => r !== 'v' && r !== 'h'),
        writes: ['attn', ...hat(['qhat', 'khat', 'gdec'])],
      });
      // fwd_ho in either form: one block per (64-wide V tile, stream), the saved operands, the stream's part of o
      const walk = {
        name: 'fwd_ho',
        grid: [Math.ceil(c.V / HO_BV), st.grid[1], st.grid[2]] as PlanStage['grid'],
        threads: HO_THREADS,
        reads: ['v', 'attn', 'qhat', 'khat', 'gdec', ...st.reads.filter((r) => /^(rw|rr|rsel|seg_info|seg_tokens|tok_slot|h0)$/.test(r))],
      };
      const part = [...st.writes.filter((w) => w === 'ht'), ip.impl === 'mask' ? 'o_part' : 'o_slot'];
      if (fused) {
        out.push({
          ...walk,
          doc: `state passing and output in one walk over the chunks of one stream per ${HO_BV}-wide V tile, the whole K x ${HO_BV} state in registers; writes the chunk-start states and the stream's part of o (CUDA stage)`,
          writes: ['h', ...part],
        });
        if (ip.impl === 'mask') out.push(maskReduce);
        continue;
      }
      if (wg) {
        out.push({
          ...walk,
          doc: `on wgmma (sm_90a): output walk over the chunks of one stream per ${HO_BV}-wide V tile, the K x ${HO_BV} state in two warpgroups' accumulators; writes the stream's part of o and the final state, not the chunk states (CUDA stage)`,
          writes: part,
          when: 'wg',
        });
        if (ip.impl === 'mask') out.push({ ...maskReduce, when: 'wg' });
      }
    }
    if (fused && st.name === 'fwd_o') continue;
    const plainOnly = wg && /^(fwd_h|fwd_o)$/.test(st.name) ? { when: 'plain' as const } : {};
    if (saved && /^(fwd_h|fwd_o|bwd_dh)$/.test(st.name)) {
      const extra = st.name === 'fwd_h' ? ['khat', 'gdec'] : st.name === 'fwd_o' ? ['qhat'] : ['qhat', 'gdec'];
      out.push({ ...st, reads: st.reads.filter((r) => !/^(q|k|g|qr|kr|gr)$/.test(r)).concat(extra), ...plainOnly });
      continue;
    }
    if (st.name === 'bwd_dqkvg') {
      // The plan's one chunk-gradient stage runs as three (docs/cuda.md): D once per chunk, dv per V
      // tile, dq/dk/dg per K tile (gla) so that each block is small and the grid wide.
      const { KC } = chunkTiles({ keyDim: c.K, valueDim: c.V });
      const streams = st.grid[2];
      out.push(
        {
          name: 'bwd_dA',
          doc: 'D = do v^T of each (chunk, stream) over all of V, for bwd_dqkg (CUDA stage)',
          grid: [1, st.grid[1], ip.impl === 'mask' ? c.H : streams],  // mask: D is the same for every virtual head
          threads: st.threads,
          reads: ['v', 'do', ...st.reads.filter((r) => /^(rw|rr|rsel|chunk_info|chunk_count)$|slot|seg_tokens|tok/.test(r))],
          writes: ['dattn'],
        },
        {
          name: 'bwd_dv',
          doc: 'dv of each (BV tile, chunk, stream): A^T do from the saved A, plus the state term through dh (CUDA stage)',
          grid: [Math.ceil(c.V / c.BV), st.grid[1], streams],
          threads: st.threads,
          reads: st.reads
            .filter((r) => r !== 'q' && r !== 'v' && r !== 'h' && !(saved && /^(k|g|kr|gr)$/.test(r)))
            .concat('attn', ...hat(['khat'])),
          writes: st.writes.filter((w) => /^dv_/.test(w)),
        },
        {
          name: 'bwd_dqkg',
          doc: 'dq, dk and dg of each (K tile, chunk, stream) from h, dh and the saved D (CUDA stage)',
          grid: [c.KG === c.K ? Math.ceil(c.K / KC) : 1, st.grid[1], streams],  // per-channel gate (gla): K tiles apart
          threads: st.threads,
          reads: st.reads.concat('dattn'),
          writes: st.writes.filter((w) => !/^dv_/.test(w)),
        },
      );
      continue;
    }
    out.push(st);
  }
  return out;
}

/**
 * A stage of a CUDA pass. `when` (inference forward of a CudaVariant.wg spec): launched only where that forward runs
 * on wgmma ('wg') or only where it does not ('plain'); the launcher decides at run time.
 */
export type CudaStage = PlanStage & { when?: 'wg' | 'plain' };

interface StageView {
  stage: string;
  /** C condition of the launch (null: always). */
  cond: string | null;
  doc: string;
  kernel: string;
  gx: string;
  gy: string;
  gz: string;
  threads: number;
  smem: number;
}

function stageBody(impl: string, stage: string): string {
  const I = impl === 'mask' ? 'ImplMask' : 'ImplVarlen';
  const chunkStage = (ordered: boolean) =>
    `extern __shared__ __align__(16) float sm[];\n  Stream st;\n  int j, c = blockIdx.y, z = blockIdx.z;\n${ordered ? `  ${I}::order(c, z);\n` : ''}  if (!${I}::chunk(p, u, c, z, st, j)) return;\n  ${stage}_body(p, u, st, j, sm);`;
  const walk = (body: string) =>
    `extern __shared__ __align__(16) float sm[];\n  Stream st;\n  int y = blockIdx.y, z = blockIdx.z;\n  ${I}::walk_order(y, z);\n  if (!${I}::walk(p, u, y, z, st)) return;\n  ${body}(p, u, st, sm);`;
  switch (stage) {
    case 'route':
      return 'route_body(p, u);';
    case 'seq_index':
      return 'mask_seq_index_body(p, u);';
    case 'bucket_rank':
    case 'seg_index':
    case 'bucket_scatter':
      return `varlen_${stage}_body(p, u);`;
    case 'fwd_reduce':
      return `fwd_reduce_body<${I}>(p, u);`;
    case 'fwd_ho':
      return walk('fwd_ho_body');
    case 'fwd_h':
      return walk('fwd_h_body');
    case 'bwd_dh':
      return walk('bwd_dh_body');
    case 'fwd_o':
      return `extern __shared__ __align__(16) float sm[];\n  ${impl}_fwd_o_body(p, u, sm);`;
    case 'fwd_A':
    case 'bwd_dv':
    case 'bwd_dqkg':  // grids [.., chunks, streams]: the impl orders the (chunk, stream) blocks
      return chunkStage(true);
    case 'bwd_dA':  // mask: one stream per head (D is the same for every virtual head), so no virtual-head order
      return chunkStage(false);
    case 'bwd_reduce':
      return `bwd_reduce_body<${I}>(p, u);`;
    default:
      throw new Error(`CUDA target: no kernel for plan stage '${stage}' (impl ${impl})`);
  }
}

export interface CudaView {
  id: string;
  spec: KernelSpec;
  plan: KernelPlan;
  c: KernelPlan['consts'];
  KC: number;
  VC: number;
  KCW: number;
  walkBuffers: number;
  /** The forward runs fwd_ho (cudaVariant): its body is compiled only then (HO in kernels.cu.hbs). */
  fusedForward: boolean;
  /** The forward may run fwd_ho on wgmma (cudaVariant): its body is compiled for sm_90a (HO_WG in kernels.cu.hbs). */
  wgForward: boolean;
  outStages: number;
  dvStages: number;
  ioType: string;
  scaleLiteral: string;
  own: boolean;
  scaleK: boolean;
  scaleQ: boolean;
  bhtd: boolean;
  tensorCores: boolean;
  hasBackward: boolean;
  gatePartial: string;
  reduceThreads: number;
  indexThreads: number;
  fields: ParamField[];
  implPartials: { partial: string }[];
  smemAsserts: { stage: string; expr: string; bytes: number }[];
  impls: {
    impl: string;
    ws: { name: string; field: string; ctype: string; bytes: string; storage: string; shapeDoc: string; doc: string }[];
    forward: StageView[];
    backward: StageView[];
    /** The inference forward's launches where it differs from the forward (CudaVariant.wg), else empty. */
    inference: StageView[];
    kernels: { name: string; threads: number; minBlocks: number; minBlocks90: number; body: string }[];
  }[];
}

function floatLiteral(x: number): string {
  const s = Math.fround(x).toPrecision(9);
  return `${s.includes('.') || s.includes('e') ? s : `${s}.0`}f`;
}

export function buildView(spec: KernelSpec, plan: KernelPlan): CudaView {
  const issues = checkCudaLegality(spec, plan);
  const id = kernelIdentity(spec, plan);
  if (issues.length) throw new CudaLegalityError(issues, id);
  const c = plan.consts;
  const { KC, VC } = chunkTiles(spec);
  const floats = stageSharedFloats(spec, plan);
  const variant = cudaVariant(spec, plan);
  // Chunk states h / dh and the saved operands q^ / k^ of tensor-core specs are stored in bf16 (st_t in
  // kernels.cu.hbs, docs/cuda.md).
  const bf16Buffer = (name: string) => tensorCores(spec) && /^(h|dh|qhat|khat|attn)$/.test(name);
  const stageView = (ip: ImplPlan, st: CudaStage): StageView => {
    const grid = [...st.grid];
    // varlen per_head logits: chunk/segment stages run one z-block per head (see workspaceBuffers).
    if (ip.impl === 'varlen' && c.HS !== c.H && ['fwd_h', 'fwd_A', 'fwd_o', 'fwd_ho', 'bwd_dh', 'bwd_dA', 'bwd_dv', 'bwd_dqkg'].includes(st.name)) grid[2] = c.H;
    return {
      stage: st.name,
      cond: st.when === 'wg' ? 'wg' : st.when === 'plain' ? '!wg' : null,
      doc: st.doc.replace(/\s+/g, ' '),
      kernel: `${id}_${ip.impl}_${st.name}`,
      gx: cSize(grid[0]),
      gy: cSize(grid[1]),
      gz: cSize(grid[2]),
      threads: st.threads,
      smem: 4 * (floats[st.name] ?? 0),
    };
  };
  const threadsOf = (name: string, fallback: number) =>
    plan.impls.flatMap((i) => [...i.forward, ...i.backward]).find((s) => s.name === name)?.threads ?? fallback;
  const impls = plan.impls.map((ip) => {
    const fwdStages = cudaStages(plan, ip, 'forward', variant);
    const bwdStages = cudaStages(plan, ip, 'backward', variant);
    const infStages = variant.wg ? cudaStages(plan, ip, 'inference', variant) : [];
    const forward = fwdStages.map((s) => stageView(ip, s));
    const backward = bwdStages.map((s) => stageView(ip, s));
    const inference = infStages.map((s) => stageView(ip, s));
    return {
      impl: ip.impl,
      ws: workspaceBuffers(plan, ip, variant).map((b) => ({
        name: b.name,
        field: BUF_FIELD[b.name] ?? b.name,
        ctype: b.storage === 'u32' ? 'unsigned' : bf16Buffer(b.name) ? '__nv_bfloat16' : 'float',
        bytes: `${bf16Buffer(b.name) ? 2 : 4}LL * ${b.shape.map(cSize).join(' * ')}`,
        storage: bf16Buffer(b.name) ? 'bf16' : b.storage,
        shapeDoc: b.shape.join(', '),
        doc: b.doc,
      })),
      forward,
      backward,
      inference,
      kernels: [...fwdStages, ...infStages, ...bwdStages].filter((s, i, all) => all.findIndex((o) => o.name === s.name) === i).map((s) => ({
        name: `${id}_${ip.impl}_${s.name}`,
        threads: s.threads,
        minBlocks: minBlocksPerSm(s.threads, floats[s.name], 'sm_80', tensorCores(spec), regFloorOf(s.name, spec)),
        minBlocks90: minBlocksPerSm(s.threads, floats[s.name], 'sm_90', tensorCores(spec), regFloorOf(s.name, spec)),
        body: `using namespace ${id}_k;\n  ${stageBody(ip.impl, s.name)}`,
      })),
    };
  });
  const stagesUsed = new Set(
    plan.impls.flatMap((i) => [...cudaStages(plan, i, 'forward', variant), ...cudaStages(plan, i, 'inference', variant), ...cudaStages(plan, i, 'backward', variant)].map((s) => s.name)),
  );
  return {
    id,
    spec,
    plan,
    c,
    KC,
    VC,
    KCW: wideKTile(spec),
    walkBuffers: walkBuffers(spec, plan),
    fusedForward: variant.fused,
    wgForward: variant.wg,
    outStages: OUT_STAGES,
    dvStages: DV_STAGES,
    ioType: ioCType(spec),
    scaleLiteral: floatLiteral(spec.scale),
    own: spec.state.partitions > 0 && spec.state.routedInputs === 'own',
    scaleK: !!spec.route?.scaleK,
    scaleQ: !!spec.route?.scaleQ,
    bhtd: spec.layout === 'BHTD',
    tensorCores: tensorCores(spec),
    hasBackward: spec.passes.includes('backward'),
    gatePartial: `gate_${spec.update}`,
    reduceThreads: threadsOf('bwd_reduce', 64),
    indexThreads: threadsOf('bucket_rank', 256),
    fields: paramFields(spec, plan),
    implPartials: plan.impls.map((i) => ({ partial: `impl_${i.impl}` })),
    smemAsserts: Object.keys(SMEM_EXPR)
      .filter((s) => stagesUsed.has(s))
      .map((s) => ({ stage: s, expr: SMEM_EXPR[s], bytes: 4 * floats[s] })),
    impls,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

let cachedTemplates: Record<string, HandlebarsTemplateDelegate> | null = null;

function templates(): Record<string, HandlebarsTemplateDelegate> {
  if (cachedTemplates) return cachedTemplates;
  const hb = createTemplateEnv();
  const files: Record<string, string> = {};
  for (const f of readdirSync(TEMPLATE_DIR)) {
    if (!f.endsWith('.hbs')) continue;
    files[f.replace(/\.(cuh|cu|h|cpp|py)\.hbs$/, '').replace(/\.hbs$/, '')] = readFileSync(join(TEMPLATE_DIR, f), 'utf8');
  }
  cachedTemplates = loadTemplates(hb, files);
  return cachedTemplates;
}

/** sha-free content hash of the template folder, for compile caches (FNV-1a over names and texts). */
export function templateHash(): string {
  let h = 0x811c9dc5;
  for (const f of readdirSync(TEMPLATE_DIR).sort()) {
    const t = f + readFileSync(join(TEMPLATE_DIR, f), 'utf8');
    for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function renderCuda(spec: KernelSpec, plan: KernelPlan): RenderedFile[] {
  const view = buildView(spec, plan);
  const t = templates();
  const id = view.id;
  const files: RenderedFile[] = [
    { path: `${id}.h`, contents: t.config(view) },
    { path: `${id}.cu`, contents: t.kernels(view) },
    { path: `${id}_driver.cu`, contents: t.driver(driverView(view)) },
    { path: `${id}_torch.cpp`, contents: t.torch_ext(driverView(view)) },
    { path: `${id}_torch.py`, contents: t.torch_binding(driverView(view)) },
  ];
  const manifest = {
    identity: id,
    spec: spec.name,
    specHash: plan.specHash,
    config: plan.config,
    files: files.map((f) => f.path),
    impls: view.impls.map((i) => ({
      impl: i.impl,
      forward: i.forward.map((s) => ({ stage: s.stage, kernel: s.kernel, grid: [s.gx, s.gy, s.gz], threads: s.threads, smem: s.smem })),
      backward: i.backward.map((s) => ({ stage: s.stage, kernel: s.kernel, grid: [s.gx, s.gy, s.gz], threads: s.threads, smem: s.smem })),
      ...(i.inference.length
        ? { inference: i.inference.map((s) => ({ stage: s.stage, kernel: s.kernel, grid: [s.gx, s.gy, s.gz], threads: s.threads, smem: s.smem, ...(s.cond ? { when: s.cond === 'wg' ? 'wgmma' : 'not wgmma' } : {}) })) }
        : {}),
      workspace: i.ws.map((w) => ({ name: w.name, storage: w.storage, shape: w.shapeDoc })),
    })),
  };
  files.push({ path: 'manifest.json', contents: `${JSON.stringify(manifest, null, 2)}\n` });
  return files;
}

// ---------------------------------------------------------------------------------------------
// Host tensors (driver and PyTorch binding)

export interface HostTensorView {
  /** Logical tensor name (dsl/tensors.ts). */
  name: string;
  /** Params field. */
  field: string;
  /** Element count as a C/Python expression over B, T, S. */
  count: string;
  /** io (spec dtype) or f32. */
  f32: boolean;
  role: 'input' | 'output' | 'cotangent' | 'gradient';
  /** Shape as a Python tuple expression over B, T, S (logical layout). */
  pyShape: string;
}

export function hostTensors(spec: KernelSpec, plan: KernelPlan): HostTensorView[] {
  const c = plan.consts;
  const tok = (d: number | null) => (d === null ? ['B', 'T', `${c.H}`] : ['B', 'T', `${c.H}`, `${d}`]);
  const tokBHTD = (d: number | null) => (d === null ? ['B', `${c.H}`, 'T'] : ['B', `${c.H}`, 'T', `${d}`]);
  const shapeOf = (d: number | null) => (spec.layout === 'BHTD' ? tokBHTD(d) : tok(d));
  const gd = c.KG === 0 ? null : c.KG === 1 ? null : c.KG;
  const state = ['S', `${c.P}`, `${c.H}`, `${c.K}`, `${c.V}`];
  const out: HostTensorView[] = [];
  const add = (name: string, field: string, shape: string[], f32: boolean, role: HostTensorView['role']) =>
    out.push({ name, field, count: shape.join(' * '), f32, role, pyShape: `(${shape.join(', ')},)` });
  const inputs: [string, string[], boolean][] = [
    ['q', shapeOf(c.K), false],
    ['k', shapeOf(c.K), false],
    ['v', shapeOf(c.V), false],
  ];
  if (c.KG) inputs.push(['g', shapeOf(gd), false]);
  if (c.N > 0 && spec.state.routedInputs === 'own') {
    inputs.push(['qr', shapeOf(c.K), false], ['kr', shapeOf(c.K), false]);
    if (c.KG) inputs.push(['gr', shapeOf(gd), false]);
  }
  if (c.N > 0) inputs.push(['e', c.R === 1 ? ['B', 'T', `${c.N}`] : ['B', 'T', `${c.H}`, `${c.N}`], false]);
  if (spec.initialState) inputs.push(['h0', state, true]);
  for (const [n, s, f] of inputs) add(n, n, s, f, 'input');
  add('o', 'o', shapeOf(c.V), false, 'output');
  if (spec.finalState) add('ht', 'ht', state, true, 'output');
  if (spec.passes.includes('backward')) {
    add('do', 'do_', shapeOf(c.V), false, 'cotangent');
    if (spec.finalState) add('dht', 'dht', state, true, 'cotangent');
    for (const [n, s, f] of inputs) add(`d${n}`, `d${n}`, s, f, 'gradient');
  }
  return out;
}

function driverView(view: CudaView) {
  return { ...view, tensors: hostTensors(view.spec, view.plan), implNames: view.impls.map((i) => i.impl) };
}
