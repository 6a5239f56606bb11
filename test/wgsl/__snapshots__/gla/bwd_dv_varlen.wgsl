// ssec WGSL kernel bwd_dv_varlen_9bcb92fa8e83: stage bwd_dv of impl varlen (plan stage bwd_dqkvg).
// Generated file: do not edit.

const H: u32 = 4u; // heads
const K: u32 = 128u; // key dim
const V: u32 = 128u; // value dim
const N: u32 = 0u; // routed partitions
const NP: u32 = 1u; // state partitions (shared + routed)
const R: u32 = 1u; // router rows per token (1 per_token, H per_head)
const HS: u32 = 4u; // heads per varlen segment
const Z: u32 = 4u; // stream heads per chunk row
const ZD: u32 = 4u; // heads of the do·vᵀ matrix
const Z_OFF: u32 = 0u; // first stream head of this kernel
const BT: u32 = 64u; // chunk length
const BK: u32 = 64u; // state tile rows (K)
const BV: u32 = 64u; // state / output tile columns (V)
const KS: u32 = 16u; // K slice of the chunk kernels
const VS: u32 = 16u; // V slice of the chunk kernels
const SB: u32 = 8u; // slot sub-block
const KQ: u32 = 16u; // K tile of dq/dk
const NKQ: u32 = 8u; // number of KQ tiles
const GW: u32 = 128u; // gate width per token (K gla, 1 scalar)
const WG: u32 = 128u; // invocations per workgroup
const KW: u32 = 0u; // writers per token
const KR: u32 = 0u; // readers per token
const SHARED: u32 = 1u; // shared partition on
const OWN: bool = false; // routed partitions read qr/kr/gr
const PER_HEAD: bool = false; // per_head router logits
const SCALE_K: bool = false; // write weight = probability
const SCALE_Q: bool = false; // read weight = probability
const HAS_H0: bool = false; // initial state input
const HAS_HT: bool = false; // final state output
const IS_MASK: bool = false; // mask impl (else varlen)
const SOURCE: u32 = 0u; // streams of this kernel: 0 all, 1 shared only, 2 routed only
const SCALE: f32 = 0.0883883461; // q·S multiplier
const NONE: u32 = 0xffffffffu;

struct Params {
  B: u32, // batch rows
  T: u32, // tokens per row
  S: u32, // sequences
  ntok: u32, // B·T
  nseg: u32, // segments
  nseg_shared: u32, // shared-partition segments (first in the segment order)
  shared_slots: u32, // slots of the shared segments
  chunk_cap: u32, // chunk table capacity
  o_seg_info: u32, // element offset of seg_info in tables
  o_chunk_info: u32, // element offset of chunk_info in tables
  o_chunk_count: u32, // element offset of chunk_count in tables
  o_dq: u32, // element offset of dq_slot in dqk_part
  o_dk: u32, // element offset of dk_slot in dqk_part
  o_dg: u32, // element offset of dg_slot in dg_part
  _pad0: u32,
  _pad1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read> khat: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> tables: array<u32>;
@group(0) @binding(4) var<storage, read> attn: array<f32>;
@group(0) @binding(5) var<storage, read> dh: array<f32>;
@group(0) @binding(6) var<storage, read_write> dv_part: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_dout(tok: u32, h: u32, c: u32) -> f32 { return dout[tok_row(tok, h) * V + c]; }
// Linear index of a workgroup in a (possibly folded) 1-D grid.
fn wg_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }
// seg_info [nseg, 4]: first slot, length, first chunk, key; chunk_info [chunk_cap, 4]: segment, first slot, length, index in segment.
fn seg_info(seg: u32, f: u32) -> u32 { return tables[P.o_seg_info + seg * 4u + f]; }
fn chunk_info(row: u32, f: u32) -> u32 { return tables[P.o_chunk_info + row * 4u + f]; }
fn chunk_count() -> u32 { return tables[P.o_chunk_count]; }
// One stream: a partition of one (sequence, head); routing is folded into its q̃, k̃, g̃ on load.
struct Stream { seq: u32, r: u32, head: u32, routed: bool, ri: u32, part: u32, z: u32 }
// varlen: key = (s·R + r)·(N + 1) + p′, p′ = 0 shared, 1 + i routed; z = head within the segment.
fn stream_of(seg: u32, key: u32, z: u32) -> Stream {
  let sr = key / (N + 1u);
  let pp = key % (N + 1u);
  let r = sr % R;
  let h = z;
  let ri = pp - min(pp, 1u);
  let part = select(0u, SHARED + ri, pp > 0u);
  return Stream(sr / R, r, h, pp > 0u, ri, part, z);
}
fn slot_token(st: Stream, slot: u32) -> u32 { return slot - st.r * P.ntok; }
// Whether this kernel (split by input source) handles the stream.
fn source_ok(st: Stream) -> bool { return SOURCE == 0u || (SOURCE == 2u) == st.routed; }
// Offset of the [K, V] state of a stream in [S, P, H, K, V].
fn state_off(st: Stream) -> u32 { return ((st.seq * NP + st.part) * H + st.head) * K * V; }
fn slot_weights(st: Stream, tok: u32) -> vec3<f32> { return vec3<f32>(1.0); }
fn stream_w(p: u32, tok: u32, h: u32) -> vec3<f32> { return vec3<f32>(1.0); }
// Row of stream p (0 ≤ p < NP) of token tok, head h in the per-stream scratch; NONE without a slot.
fn stream_row(p: u32, tok: u32, h: u32) -> u32 {
  if (p < SHARED) { return (0u * P.ntok + tok) * HS + h; }
  return NONE;
}
fn routed_len(j: u32) -> u32 { return 0u; }

// ---- chunk skeleton: the slots of one chunk and their routing weights ----------------------------
// m_tok[j]: token of slot j; m_a/m_b: write/read weight; m_w: 1 if the slot writes (decays) the state.
// Slots j >= L (past the end of a partial chunk) have zero weights and token 0.
var<workgroup> m_tok: array<u32, BT>;
var<workgroup> m_a: array<f32, BT>;
var<workgroup> m_b: array<f32, BT>;
var<workgroup> m_w: array<f32, BT>;

// Padded layouts of workgroup vec4 tiles:
// * pad16: one vec4 of padding after every 16 (the slice tiles of fwd_attn, the gla gate tile), so rows of
//   different 4-row blocks read together (256 bytes apart unpadded) fall on different banks;
// * XS: row stride of the column-wise row-operand tiles (fwd_o, bwd_dv, bwd_hdo), one vec4 of padding per
//   row, so the column-wise stores of consecutive invocations fall on different banks.
fn pad16(e: u32) -> u32 { return e + e / 16u; }
const XS: u32 = BT / 4u + 1u;

struct ChunkCtx { ok: u32, seg: u32, slot0: u32, len: u32, idx: u32, key: u32, first_chunk: u32, row: u32 }
var<workgroup> wg_ctx: ChunkCtx;

// Chunk-table row `row` (idle rows beyond chunk_count give ok = 0); uniform across the workgroup.
fn chunk_begin(row: u32, lid: u32) -> ChunkCtx {
  if (lid == 0u) {
    var c = ChunkCtx(0u, 0u, 0u, 0u, 0u, 0u, 0u, row);
    if (row < chunk_count()) {
      c.ok = 1u;
      c.seg = chunk_info(row, 0u);
      c.slot0 = chunk_info(row, 1u);
      c.len = chunk_info(row, 2u);
      c.idx = chunk_info(row, 3u);
      c.key = seg_info(c.seg, 3u);
      c.first_chunk = seg_info(c.seg, 2u);
    }
    wg_ctx = c;
  }
  return workgroupUniformLoad(&wg_ctx);
}

// Segment `seg` (first slot, length, first chunk, key); uniform across the workgroup.
fn seg_begin(seg: u32, lid: u32) -> ChunkCtx {
  if (lid == 0u) {
    wg_ctx = ChunkCtx(1u, seg, seg_info(seg, 0u), seg_info(seg, 1u), 0u, seg_info(seg, 3u), seg_info(seg, 2u), 0u);
  }
  return workgroupUniformLoad(&wg_ctx);
}

fn load_slot_meta(st: Stream, slot0: u32, L: u32, lid: u32) {
  for (var j = lid; j < BT; j += WG) {
    var tok = 0u;
    var w = vec3<f32>(0.0);
    if (j < L) {
      tok = slot_token(st, slot0 + j);
      w = slot_weights(st, tok);
    }
    m_tok[j] = tok;
    m_a[j] = w.x;
    m_b[j] = w.y;
    m_w[j] = w.z;
  }
}
// ---- slot loaders (routing folded in) ----
fn dt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_dout(m_tok[j], st.head, c); }
fn khat_at(row: u32, z: u32, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return khat[((row * Z + z) * BT + j) * K + c]; }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (slot0 + j) * HS + st.z; }
fn dov_head(st: Stream) -> u32 { return st.z; }

// ---- dv of one (BV tile, chunk, stream head):
// dv_s = scale Σ_{t ≥ s} A_ts do_t + (k̃_s ⊙ exp(G_last − G_s))ᵀ dh_end
// Register tile: NR4 groups of 4 consecutive rows × one vec4 of columns per invocation; the row
// operand is stored as vec4 of 4 rows (s_x[c·XS + s/4]): 2 vec4 loads per 16 FMA. The next K slice's
// k̂ and dh entries (PX, PY vec4 per invocation) are loaded into registers while this slice computes.
const TX: u32 = BV / 4u;
const TY: u32 = WG / TX;
const BT4: u32 = BT / 4u;
const NR4: u32 = 2u;
var<workgroup> s_x: array<vec4<f32>, max(KS, SB) * XS>;
var<workgroup> s_y: array<vec4<f32>, max(KS * TX, SB * TX)>;

// K-slice entries e of fwd_o / bwd_dv, loaded one slice ahead: the row operand khat (4 rows j … j + 3
// of channel k0 + e % KS, as vec4 of rows) and the chunk state dh (row k0 + e / TX, 4 columns);
// zero past the slice, K or V.
fn slice_x_ld(y: u32, z: u32, k0: u32, e: u32) -> vec4<f32> {
  if (e >= KS * BT4) { return vec4<f32>(0.0); }
  let c = e % KS;
  let j = 4u * (e / KS);
  return vec4<f32>(khat_at(y, z, j, k0 + c), khat_at(y, z, j + 1u, k0 + c), khat_at(y, z, j + 2u, k0 + c), khat_at(y, z, j + 3u, k0 + c));
}
fn slice_y_ld(hb: u32, k0: u32, v0: u32, e: u32) -> vec4<f32> {
  var y = vec4<f32>(0.0);
  if (e >= KS * TX) { return y; }
  let kk = k0 + e / TX;
  let vv = v0 + 4u * (e % TX);
  for (var q = 0u; q < 4u; q++) {
    if (kk < K && vv + q < V) { y[q] = dh[hb + kk * V + vv + q]; }
  }
  return y;
}

fn dv_store4(st: Stream, slot0: u32, s: u32, c0: u32, L: u32, x: vec4<f32>) {
  for (var q = 0u; q < 4u; q++) {
    if (s < L && c0 + q < V) { dv_part[part_row(st, slot0, s) * V + c0 + q] = x[q]; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let v0 = wid.x * BV;
  let z = wid.z + Z_OFF;
  let tx = lid % TX;
  let ty = lid / TX;
  let cc = chunk_begin(wid.y, lid);
  if (cc.ok == 0u) { return; }
  let L = cc.len;
  let st = stream_of(cc.seg, cc.key, z);
  load_slot_meta(st, cc.slot0, L, lid);
  workgroupBarrier();
  let rg0 = min(ty * NR4 + 0u, BT4 - 1u);
  var acc00 = vec4<f32>(0.0);
  var acc01 = vec4<f32>(0.0);
  var acc02 = vec4<f32>(0.0);
  var acc03 = vec4<f32>(0.0);
  let rg1 = min(ty * NR4 + 1u, BT4 - 1u);
  var acc10 = vec4<f32>(0.0);
  var acc11 = vec4<f32>(0.0);
  var acc12 = vec4<f32>(0.0);
  var acc13 = vec4<f32>(0.0);
  let hb = (wid.y * Z + z) * K * V;
  // k̂ = k̃ ⊙ exp(G_last − G) of the slice (saved by fwd_attn) times the dh slice
  // The K walk of fwd_o / bwd_dv (inside main): per KS slice, the row operand and the state slice (loaded
  // one slice ahead into registers by slice_ld) go to s_x / s_y, then the register tile accumulates their
  // products. Uses hb, v0, z, wid, lid, rg*, acc* of the caller.
  var nx0 = slice_x_ld(wid.y, z, 0u, lid + 0u * WG);
  var nx1 = slice_x_ld(wid.y, z, 0u, lid + 1u * WG);
  var ny0 = slice_y_ld(hb, 0u, v0, lid + 0u * WG);
  var ny1 = slice_y_ld(hb, 0u, v0, lid + 1u * WG);
  for (var k0 = 0u; k0 < K; k0 += KS) {
    if (lid + 0u * WG < KS * BT4) { s_x[((lid + 0u * WG) % KS) * XS + (lid + 0u * WG) / KS] = nx0; }
    if (lid + 1u * WG < KS * BT4) { s_x[((lid + 1u * WG) % KS) * XS + (lid + 1u * WG) / KS] = nx1; }
    if (lid + 0u * WG < KS * TX) { s_y[lid + 0u * WG] = ny0; }
    if (lid + 1u * WG < KS * TX) { s_y[lid + 1u * WG] = ny1; }
    workgroupBarrier();
    if (k0 + KS < K) {
      nx0 = slice_x_ld(wid.y, z, k0 + KS, lid + 0u * WG);
      nx1 = slice_x_ld(wid.y, z, k0 + KS, lid + 1u * WG);
      ny0 = slice_y_ld(hb, k0 + KS, v0, lid + 0u * WG);
      ny1 = slice_y_ld(hb, k0 + KS, v0, lid + 1u * WG);
    }
    for (var c = 0u; c < KS; c++) {
      let y = s_y[c * TX + tx];
      let x0 = s_x[c * XS + rg0];
      acc00 += x0.x * y;
      acc01 += x0.y * y;
      acc02 += x0.z * y;
      acc03 += x0.w * y;
      let x1 = s_x[c * XS + rg1];
      acc10 += x1.x * y;
      acc11 += x1.y * y;
      acc12 += x1.z * y;
      acc13 += x1.w * y;
    }
    workgroupBarrier();
  }
  let ab = (wid.y * Z + z) * BT * BT;
  for (var t0 = 0u; t0 < L; t0 += SB) {
    for (var e = lid; e < SB * BT4; e += WG) {
      let a = ab + (t0 + e / BT4) * BT + 4u * (e % BT4);
      s_x[(e / BT4) * XS + e % BT4] = vec4<f32>(attn[a], attn[a + 1u], attn[a + 2u], attn[a + 3u]);
    }
    for (var e = lid; e < SB * TX; e += WG) {
      let j = t0 + e / TX;
      let vv = v0 + 4u * (e % TX);
      s_y[e] = SCALE * vec4<f32>(dt(st, j, vv, L), dt(st, j, vv + 1u, L), dt(st, j, vv + 2u, L), dt(st, j, vv + 3u, L));
    }
    workgroupBarrier();
    for (var jj = 0u; jj < SB; jj++) {
      let y = s_y[jj * TX + tx];
      let x0 = s_x[jj * XS + rg0];
      acc00 += x0.x * y;
      acc01 += x0.y * y;
      acc02 += x0.z * y;
      acc03 += x0.w * y;
      let x1 = s_x[jj * XS + rg1];
      acc10 += x1.x * y;
      acc11 += x1.y * y;
      acc12 += x1.z * y;
      acc13 += x1.w * y;
    }
    workgroupBarrier();
  }
  if (ty * NR4 + 0u < BT4) {
    dv_store4(st, cc.slot0, 4u * rg0, v0 + 4u * tx, L, acc00);
    dv_store4(st, cc.slot0, 4u * rg0 + 1u, v0 + 4u * tx, L, acc01);
    dv_store4(st, cc.slot0, 4u * rg0 + 2u, v0 + 4u * tx, L, acc02);
    dv_store4(st, cc.slot0, 4u * rg0 + 3u, v0 + 4u * tx, L, acc03);
  }
  if (ty * NR4 + 1u < BT4) {
    dv_store4(st, cc.slot0, 4u * rg1, v0 + 4u * tx, L, acc10);
    dv_store4(st, cc.slot0, 4u * rg1 + 1u, v0 + 4u * tx, L, acc11);
    dv_store4(st, cc.slot0, 4u * rg1 + 2u, v0 + 4u * tx, L, acc12);
    dv_store4(st, cc.slot0, 4u * rg1 + 3u, v0 + 4u * tx, L, acc13);
  }
}
