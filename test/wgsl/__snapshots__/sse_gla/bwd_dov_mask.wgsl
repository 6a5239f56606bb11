// ssec WGSL kernel bwd_dov_mask_015add618188: stage bwd_dov of impl mask (plan stage bwd_dqkvg).
// Generated file: do not edit.

const H: u32 = 6u; // heads
const K: u32 = 256u; // key dim
const V: u32 = 256u; // value dim
const N: u32 = 4u; // routed partitions
const NP: u32 = 5u; // state partitions (shared + routed)
const R: u32 = 1u; // router rows per token (1 per_token, H per_head)
const HS: u32 = 6u; // heads per varlen segment
const Z: u32 = 30u; // stream heads per chunk row
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
const IS_MASK: bool = true; // mask impl (else varlen)
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
  o_dq: u32, // element offset of dq_part in dqk_part
  o_dk: u32, // element offset of dk_part in dqk_part
  o_dg: u32, // element offset of dg_part in dg_part
  _pad0: u32,
  _pad1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> tables: array<u32>;
@group(0) @binding(4) var<storage, read_write> dattn: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_dout(tok: u32, h: u32, c: u32) -> f32 { return dout[tok_row(tok, h) * V + c]; }
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
// One stream: a partition of one (sequence, head); routing is folded into its q̃, k̃, g̃ on load.
struct Stream { seq: u32, r: u32, head: u32, routed: bool, ri: u32, part: u32, z: u32 }
// mask: segment = sequence; z = p·H + h (virtual head p: shared first, then routed).
fn stream_of(seg: u32, key: u32, z: u32) -> Stream {
  let pp = z / H;
  let h = z % H;
  let r = 0u;
  return Stream(seg, r, h, pp >= SHARED, pp - min(pp, SHARED), pp, z);
}
fn slot_token(st: Stream, slot: u32) -> u32 { return slot; }
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
fn stream_row(p: u32, tok: u32, h: u32) -> u32 { return (p * P.ntok + tok) * H + h; }

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
fn vt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_v(m_tok[j], st.head, c); }
fn dt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_dout(m_tok[j], st.head, c); }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (st.part * P.ntok + m_tok[j]) * H + st.head; }
fn dov_head(st: Stream) -> u32 { return st.head; }

// ---- D_ts = do_t · v_s (s ≤ t) of one (chunk, head): the same for every virtual head of a
// sequence, so the mask impl computes it once per head. Stored folded: entry [t][s] = D_ts for s ≤ t
// and D_st for s > t, so both of bwd_dqk's sums (dq̃_t over D_t·, dk̃_t over D_·t) read row t
// contiguously; zero for rows past the end.
// Invocation: column s = lid % BT, rows t = lid / BT + m·RS (unrolled accumulators).
const RS: u32 = WG / BT;
var<workgroup> s_x: array<f32, BT * VS>;
var<workgroup> s_y: array<f32, BT * VS>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z;
  let cc = chunk_begin(wid.y, lid);
  if (cc.ok == 0u) { return; }
  let L = cc.len;
  let st = stream_of(cc.seg, cc.key, z);
  load_slot_meta(st, cc.slot0, L, lid);
  workgroupBarrier();
  let s = lid % BT;
  let t0 = lid / BT;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  var a4 = 0.0;
  var a5 = 0.0;
  var a6 = 0.0;
  var a7 = 0.0;
  var a8 = 0.0;
  var a9 = 0.0;
  var a10 = 0.0;
  var a11 = 0.0;
  var a12 = 0.0;
  var a13 = 0.0;
  var a14 = 0.0;
  var a15 = 0.0;
  var a16 = 0.0;
  var a17 = 0.0;
  var a18 = 0.0;
  var a19 = 0.0;
  var a20 = 0.0;
  var a21 = 0.0;
  var a22 = 0.0;
  var a23 = 0.0;
  var a24 = 0.0;
  var a25 = 0.0;
  var a26 = 0.0;
  var a27 = 0.0;
  var a28 = 0.0;
  var a29 = 0.0;
  var a30 = 0.0;
  var a31 = 0.0;
  for (var v0 = 0u; v0 < V; v0 += VS) {
    for (var e = lid; e < BT * VS; e += WG) {
      let j = e / VS;
      let c = v0 + e % VS;
      s_x[e] = dt(st, j, c, L);
      s_y[e] = vt(st, j, c, L);
    }
    workgroupBarrier();
    for (var c = 0u; c < VS; c++) {
      let y = s_y[s * VS + c];
      a0 += s_x[(t0 + 0u * RS) * VS + c] * y;
      a1 += s_x[(t0 + 1u * RS) * VS + c] * y;
      a2 += s_x[(t0 + 2u * RS) * VS + c] * y;
      a3 += s_x[(t0 + 3u * RS) * VS + c] * y;
      a4 += s_x[(t0 + 4u * RS) * VS + c] * y;
      a5 += s_x[(t0 + 5u * RS) * VS + c] * y;
      a6 += s_x[(t0 + 6u * RS) * VS + c] * y;
      a7 += s_x[(t0 + 7u * RS) * VS + c] * y;
      a8 += s_x[(t0 + 8u * RS) * VS + c] * y;
      a9 += s_x[(t0 + 9u * RS) * VS + c] * y;
      a10 += s_x[(t0 + 10u * RS) * VS + c] * y;
      a11 += s_x[(t0 + 11u * RS) * VS + c] * y;
      a12 += s_x[(t0 + 12u * RS) * VS + c] * y;
      a13 += s_x[(t0 + 13u * RS) * VS + c] * y;
      a14 += s_x[(t0 + 14u * RS) * VS + c] * y;
      a15 += s_x[(t0 + 15u * RS) * VS + c] * y;
      a16 += s_x[(t0 + 16u * RS) * VS + c] * y;
      a17 += s_x[(t0 + 17u * RS) * VS + c] * y;
      a18 += s_x[(t0 + 18u * RS) * VS + c] * y;
      a19 += s_x[(t0 + 19u * RS) * VS + c] * y;
      a20 += s_x[(t0 + 20u * RS) * VS + c] * y;
      a21 += s_x[(t0 + 21u * RS) * VS + c] * y;
      a22 += s_x[(t0 + 22u * RS) * VS + c] * y;
      a23 += s_x[(t0 + 23u * RS) * VS + c] * y;
      a24 += s_x[(t0 + 24u * RS) * VS + c] * y;
      a25 += s_x[(t0 + 25u * RS) * VS + c] * y;
      a26 += s_x[(t0 + 26u * RS) * VS + c] * y;
      a27 += s_x[(t0 + 27u * RS) * VS + c] * y;
      a28 += s_x[(t0 + 28u * RS) * VS + c] * y;
      a29 += s_x[(t0 + 29u * RS) * VS + c] * y;
      a30 += s_x[(t0 + 30u * RS) * VS + c] * y;
      a31 += s_x[(t0 + 31u * RS) * VS + c] * y;
    }
    workgroupBarrier();
  }
  let base = (wid.y * ZD + z) * BT * BT;
  {
    let t = t0 + 0u * RS;
    let x = select(0.0, a0, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 1u * RS;
    let x = select(0.0, a1, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 2u * RS;
    let x = select(0.0, a2, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 3u * RS;
    let x = select(0.0, a3, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 4u * RS;
    let x = select(0.0, a4, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 5u * RS;
    let x = select(0.0, a5, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 6u * RS;
    let x = select(0.0, a6, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 7u * RS;
    let x = select(0.0, a7, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 8u * RS;
    let x = select(0.0, a8, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 9u * RS;
    let x = select(0.0, a9, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 10u * RS;
    let x = select(0.0, a10, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 11u * RS;
    let x = select(0.0, a11, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 12u * RS;
    let x = select(0.0, a12, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 13u * RS;
    let x = select(0.0, a13, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 14u * RS;
    let x = select(0.0, a14, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 15u * RS;
    let x = select(0.0, a15, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 16u * RS;
    let x = select(0.0, a16, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 17u * RS;
    let x = select(0.0, a17, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 18u * RS;
    let x = select(0.0, a18, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 19u * RS;
    let x = select(0.0, a19, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 20u * RS;
    let x = select(0.0, a20, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 21u * RS;
    let x = select(0.0, a21, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 22u * RS;
    let x = select(0.0, a22, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 23u * RS;
    let x = select(0.0, a23, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 24u * RS;
    let x = select(0.0, a24, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 25u * RS;
    let x = select(0.0, a25, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 26u * RS;
    let x = select(0.0, a26, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 27u * RS;
    let x = select(0.0, a27, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 28u * RS;
    let x = select(0.0, a28, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 29u * RS;
    let x = select(0.0, a29, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 30u * RS;
    let x = select(0.0, a30, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
  {
    let t = t0 + 31u * RS;
    let x = select(0.0, a31, t < L);
    if (s <= t) { dattn[base + t * BT + s] = x; }
    if (s < t) { dattn[base + s * BT + t] = x; }
  }
}
