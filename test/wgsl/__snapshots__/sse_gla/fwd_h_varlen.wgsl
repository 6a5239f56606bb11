// ssec WGSL kernel fwd_h_varlen_7ab13fe819b0: stage fwd_h of impl varlen (plan stage fwd_h).
// Generated file: do not edit.

const H: u32 = 6u; // heads
const K: u32 = 256u; // key dim
const V: u32 = 256u; // value dim
const N: u32 = 4u; // routed partitions
const NP: u32 = 5u; // state partitions (shared + routed)
const R: u32 = 1u; // router rows per token (1 per_token, H per_head)
const HS: u32 = 6u; // heads per varlen segment
const Z: u32 = 6u; // stream heads per chunk row
const ZD: u32 = 6u; // heads of the do·vᵀ matrix
const Z_OFF: u32 = 0u; // first stream head of this kernel
const BT: u32 = 64u; // chunk length
const BK: u32 = 64u; // state tile rows (K)
const BV: u32 = 64u; // state / output tile columns (V)
const KS: u32 = 16u; // K slice of the chunk kernels
const VS: u32 = 16u; // V slice of the chunk kernels
const SB: u32 = 8u; // slot sub-block
const KQ: u32 = 16u; // K tile of dq/dk
const NKQ: u32 = 16u; // number of KQ tiles
const GW: u32 = 256u; // gate width per token (K gla, 1 scalar)
const WG: u32 = 128u; // invocations per workgroup
const KW: u32 = 1u; // writers per token
const KR: u32 = 1u; // readers per token
const SHARED: u32 = 1u; // shared partition on
const OWN: bool = false; // routed partitions read qr/kr/gr
const PER_HEAD: bool = false; // per_head router logits
const SCALE_K: bool = true; // write weight = probability
const SCALE_Q: bool = true; // read weight = probability
const HAS_H0: bool = false; // initial state input
const HAS_HT: bool = false; // final state output
const IS_MASK: bool = false; // mask impl (else varlen)
const SOURCE: u32 = 0u; // streams of this kernel: 0 all, 1 shared only, 2 routed only
const SCALE: f32 = 0.0625000000; // q·S multiplier
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
  o_rw: u32, // element offset of rw in tables
  o_rr: u32, // element offset of rr in tables
  o_rp: u32, // element offset of rp in tables
  o_rsel: u32, // element offset of rsel in tables
  o_seg_info: u32, // element offset of seg_info in tables
  o_chunk_info: u32, // element offset of chunk_info in tables
  o_chunk_count: u32, // element offset of chunk_count in tables
  o_seg_tokens: u32, // element offset of seg_tokens in tables
  o_tok_slot: u32, // element offset of tok_slot in tables
  o_seg_count: u32, // element offset of seg_count in tables
  o_dq: u32, // element offset of dq_slot in dqk_part
  o_dk: u32, // element offset of dk_slot in dqk_part
  o_dg: u32, // element offset of dg_slot in dg_part
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read> khat: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> gdec: array<f32>;
@group(0) @binding(4) var<storage, read> tables: array<u32>;
@group(0) @binding(5) var<storage, read_write> h: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_v(tok: u32, h: u32, c: u32) -> f32 { return v[tok_row(tok, h) * V + c]; }
// Linear index of a workgroup in a (possibly folded) 1-D grid.
fn wg_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }
// Routing tables [B·T, R, N] (floats stored as bits in the u32 meta buffer).
fn route_off(tok: u32, r: u32, i: u32) -> u32 { return (tok * R + r) * N + i; }
fn rt_w(ro: u32) -> f32 { return bitcast<f32>(tables[P.o_rw + ro]); }
fn rt_r(ro: u32) -> f32 { return bitcast<f32>(tables[P.o_rr + ro]); }
fn rt_p(ro: u32) -> f32 { return bitcast<f32>(tables[P.o_rp + ro]); }
fn rt_sel(ro: u32) -> u32 { return tables[P.o_rsel + ro]; }
// seg_info [nseg, 4]: first slot, length, first chunk, key; chunk_info [chunk_cap, 4]: segment, first slot, length, index in segment.
fn seg_info(seg: u32, f: u32) -> u32 { return tables[P.o_seg_info + seg * 4u + f]; }
fn chunk_info(row: u32, f: u32) -> u32 { return tables[P.o_chunk_info + row * 4u + f]; }
fn chunk_count() -> u32 { return tables[P.o_chunk_count]; }
fn seg_token(slot: u32) -> u32 { return tables[P.o_seg_tokens + slot]; }
fn tok_slot(ro: u32) -> u32 { return tables[P.o_tok_slot + ro]; }
fn seg_count(j: u32) -> u32 { return tables[P.o_seg_count + j]; }
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
fn slot_token(st: Stream, slot: u32) -> u32 { if (st.routed) { return seg_token(slot); } return slot - st.r * P.ntok; }
// Whether this kernel (split by input source) handles the stream.
fn source_ok(st: Stream) -> bool { return SOURCE == 0u || (SOURCE == 2u) == st.routed; }
// Offset of the [K, V] state of a stream in [S, P, H, K, V].
fn state_off(st: Stream) -> u32 { return ((st.seq * NP + st.part) * H + st.head) * K * V; }
fn slot_weights(st: Stream, tok: u32) -> vec3<f32> {
  if (!st.routed) { return vec3<f32>(1.0); }
  let ro = route_off(tok, st.r, st.ri);
  return vec3<f32>(rt_w(ro), rt_r(ro), f32(rt_sel(ro) & 1u));
}
fn stream_w(p: u32, tok: u32, h: u32) -> vec3<f32> {
  if (p < SHARED) { return vec3<f32>(1.0); }
  let ro = route_off(tok, 0u, p - SHARED);
  return vec3<f32>(rt_w(ro), rt_r(ro), f32(rt_sel(ro) & 1u));
}
// Row of stream p (0 ≤ p < NP) of token tok, head h in the per-stream scratch; NONE without a slot.
fn stream_row(p: u32, tok: u32, h: u32) -> u32 {
  if (p < SHARED) { return (0u * P.ntok + tok) * HS + h; }
  let slot = tok_slot(route_off(tok, 0u, p - SHARED));
  if (slot == NONE) { return NONE; }
  return slot * HS + h;
}
fn routed_len(j: u32) -> u32 { return seg_count(j); }

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
// ---- direction hook: forward state passing ----------------------------------------------------
// h_next = exp(G_last) ⊙ h + Σ_j k̂_j v_jᵀ (k̂ = k̃ ⊙ exp(G_last − G), saved by fwd_attn); saves the chunk-start state.
const FWD: bool = true;
fn sp_op(row: u32, z: u32, j: u32, c: u32) -> f32 { return khat_at(row, z, j, c); }
fn sp_value(st: Stream, j: u32, c: u32, L: u32) -> f32 { return vt(st, j, c, L); }
fn sp_save(row: u32, z: u32, kk: u32, vv: u32, x: f32) { h[(row * Z + z) * K * V + kk * V + vv] = x; }
// ---- slot loaders (routing folded in) ----
fn vt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_v(m_tok[j], st.head, c); }
fn khat_at(row: u32, z: u32, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return khat[((row * Z + z) * BT + j) * K + c]; }
fn gdec_at(row: u32, z: u32, c: u32) -> f32 { if (c >= K) { return 1.0; } return gdec[(row * Z + z) * K + c]; }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (slot0 + j) * HS + st.z; }
fn dov_head(st: Stream) -> u32 { return st.z; }
fn sp_initial(st: Stream, kk: u32, vv: u32) -> f32 { return 0.0; }
fn sp_final(st: Stream, kk: u32, vv: u32, x: f32) {}

// ---- state passing: one workgroup walks the chunks of one segment in order (reverse for the
// backward) for one stream head z and one (BK, BV) tile of the [K, V] state, kept in registers as
// NR4 groups of 4 consecutive rows × one vec4 of columns per invocation (operand rows read as vec4:
// 3 vec4 loads per 32 FMA). The decayed operand rows (k̂ = k̃ ⊙ e^{G_last − G} forward, scale·q̂ =
// scale·q̃ ⊙ e^{G} backward) and the chunk decay e^{G_last} come from fwd_attn (khat, qhat, gdec), so a
// chunk is: decay the state, then per sub-block of SB slots store operand and value rows to workgroup
// memory and add their outer products (two barriers per sub-block). The rows of the next sub-block of
// the chunk are loaded into registers (SPO operand and SPV value vec4 per invocation) before this
// sub-block's products, so their global loads are in flight while it computes.
const NVT: u32 = (V + BV - 1u) / BV;
const TX: u32 = BV / 4u;
const TY: u32 = WG / TX;
const BK4: u32 = BK / 4u;
const NR4: u32 = 2u;
var<workgroup> s_op: array<vec4<f32>, SB * BK4>;
var<workgroup> s_val: array<vec4<f32>, SB * TX>;

// Operand vec4 e of a sub-block (slot j0 + e / BK4, channels k0 + 4 · (e % BK4) …; zero past L or SB · BK4).
fn sp_op_ld(row: u32, z: u32, j0: u32, L: u32, k0: u32, e: u32) -> vec4<f32> {
  let j = j0 + e / BK4;
  let c = k0 + 4u * (e % BK4);
  if (e >= SB * BK4 || j >= L) { return vec4<f32>(0.0); }
  return vec4<f32>(sp_op(row, z, j, c), sp_op(row, z, j, c + 1u), sp_op(row, z, j, c + 2u), sp_op(row, z, j, c + 3u));
}
// Value vec4 e of a sub-block (slot j0 + e / TX, columns v0 + 4 · (e % TX) …; zero past L, V or SB · TX).
fn sp_val_ld(st: Stream, j0: u32, L: u32, v0: u32, e: u32) -> vec4<f32> {
  if (e >= SB * TX) { return vec4<f32>(0.0); }
  let j = j0 + e / TX;
  let vv = v0 + 4u * (e % TX);
  return vec4<f32>(sp_value(st, j, vv, L), sp_value(st, j, vv + 1u, L), sp_value(st, j, vv + 2u, L), sp_value(st, j, vv + 3u, L));
}

// vec4 row helpers of the register tile: row r of the tile, columns 4·tx … 4·tx + 3.
fn sp_initial4(st: Stream, k0: u32, v0: u32, r: u32, tx: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let vv = v0 + 4u * tx + q;
    if (r < BK && k0 + r < K && vv < V) { x[q] = sp_initial(st, k0 + r, vv); }
  }
  return x;
}
fn sp_save4(row: u32, z: u32, k0: u32, v0: u32, r: u32, tx: u32, x: vec4<f32>) {
  for (var q = 0u; q < 4u; q++) {
    let vv = v0 + 4u * tx + q;
    if (r < BK && k0 + r < K && vv < V) { sp_save(row, z, k0 + r, vv, x[q]); }
  }
}
fn sp_final4(st: Stream, k0: u32, v0: u32, r: u32, tx: u32, x: vec4<f32>) {
  for (var q = 0u; q < 4u; q++) {
    let vv = v0 + 4u * tx + q;
    if (r < BK && k0 + r < K && vv < V) { sp_final(st, k0 + r, vv, x[q]); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k0 = (wid.x / NVT) * BK;
  let v0 = (wid.x % NVT) * BV;
  let z = wid.z + Z_OFF;
  let tx = lid % TX;
  let ty = lid / TX;
  let sc = seg_begin(wid.y, lid);
  let st = stream_of(wid.y, sc.key, z);
  let rg0 = ty * NR4 + 0u;
  let rc0 = min(rg0, BK4 - 1u);
  var hs00 = sp_initial4(st, k0, v0, 4u * rg0, tx);
  var hs01 = sp_initial4(st, k0, v0, 4u * rg0 + 1u, tx);
  var hs02 = sp_initial4(st, k0, v0, 4u * rg0 + 2u, tx);
  var hs03 = sp_initial4(st, k0, v0, 4u * rg0 + 3u, tx);
  let rg1 = ty * NR4 + 1u;
  let rc1 = min(rg1, BK4 - 1u);
  var hs10 = sp_initial4(st, k0, v0, 4u * rg1, tx);
  var hs11 = sp_initial4(st, k0, v0, 4u * rg1 + 1u, tx);
  var hs12 = sp_initial4(st, k0, v0, 4u * rg1 + 2u, tx);
  var hs13 = sp_initial4(st, k0, v0, 4u * rg1 + 3u, tx);
  let nch = (sc.len + BT - 1u) / BT;
  for (var cc = 0u; cc < nch; cc++) {
    let c = select(nch - 1u - cc, cc, FWD);
    let row = sc.first_chunk + c;
    let slot0 = sc.slot0 + c * BT;
    let L = min(BT, sc.len - c * BT);
    sp_save4(row, z, k0, v0, 4u * rg0, tx, hs00);
    sp_save4(row, z, k0, v0, 4u * rg0 + 1u, tx, hs01);
    sp_save4(row, z, k0, v0, 4u * rg0 + 2u, tx, hs02);
    sp_save4(row, z, k0, v0, 4u * rg0 + 3u, tx, hs03);
    sp_save4(row, z, k0, v0, 4u * rg1, tx, hs10);
    sp_save4(row, z, k0, v0, 4u * rg1 + 1u, tx, hs11);
    sp_save4(row, z, k0, v0, 4u * rg1 + 2u, tx, hs12);
    sp_save4(row, z, k0, v0, 4u * rg1 + 3u, tx, hs13);
    hs00 *= gdec_at(row, z, k0 + 4u * rc0);
    hs01 *= gdec_at(row, z, k0 + 4u * rc0 + 1u);
    hs02 *= gdec_at(row, z, k0 + 4u * rc0 + 2u);
    hs03 *= gdec_at(row, z, k0 + 4u * rc0 + 3u);
    hs10 *= gdec_at(row, z, k0 + 4u * rc1);
    hs11 *= gdec_at(row, z, k0 + 4u * rc1 + 1u);
    hs12 *= gdec_at(row, z, k0 + 4u * rc1 + 2u);
    hs13 *= gdec_at(row, z, k0 + 4u * rc1 + 3u);
    // (the previous chunk ended on a barrier: the slot tables and tiles are free)
    load_slot_meta(st, slot0, L, lid);
    workgroupBarrier();
    var po0 = sp_op_ld(row, z, 0u, L, k0, lid + 0u * WG);
    var pv0 = sp_val_ld(st, 0u, L, v0, lid + 0u * WG);
    for (var j0 = 0u; j0 < L; j0 += SB) {
      if (lid + 0u * WG < SB * BK4) { s_op[lid + 0u * WG] = po0; }
      if (lid + 0u * WG < SB * TX) { s_val[lid + 0u * WG] = pv0; }
      workgroupBarrier();
      if (j0 + SB < L) {
        po0 = sp_op_ld(row, z, j0 + SB, L, k0, lid + 0u * WG);
        pv0 = sp_val_ld(st, j0 + SB, L, v0, lid + 0u * WG);
      }
      for (var jj = 0u; jj < SB; jj++) {
        let y = s_val[jj * TX + tx];
        let x0 = s_op[jj * BK4 + rc0];
        hs00 += x0.x * y;
        hs01 += x0.y * y;
        hs02 += x0.z * y;
        hs03 += x0.w * y;
        let x1 = s_op[jj * BK4 + rc1];
        hs10 += x1.x * y;
        hs11 += x1.y * y;
        hs12 += x1.z * y;
        hs13 += x1.w * y;
      }
      workgroupBarrier();
    }
  }
  sp_final4(st, k0, v0, 4u * rg0, tx, hs00);
  sp_final4(st, k0, v0, 4u * rg0 + 1u, tx, hs01);
  sp_final4(st, k0, v0, 4u * rg0 + 2u, tx, hs02);
  sp_final4(st, k0, v0, 4u * rg0 + 3u, tx, hs03);
  sp_final4(st, k0, v0, 4u * rg1, tx, hs10);
  sp_final4(st, k0, v0, 4u * rg1 + 1u, tx, hs11);
  sp_final4(st, k0, v0, 4u * rg1 + 2u, tx, hs12);
  sp_final4(st, k0, v0, 4u * rg1 + 3u, tx, hs13);
}
