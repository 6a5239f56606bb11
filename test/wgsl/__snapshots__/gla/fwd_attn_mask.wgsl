// ssec WGSL kernel fwd_attn_mask_a28bd98f66d4: stage fwd_attn of impl mask (plan stage fwd_o).
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
const SB: u32 = 16u; // slot sub-block
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
const IS_MASK: bool = true; // mask impl (else varlen)
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
  o_dq: u32, // element offset of dq_part in dqk_part
  o_dk: u32, // element offset of dk_part in dqk_part
  o_dg: u32, // element offset of dg_part in dg_part
  _pad0: u32,
  _pad1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> tables: array<u32>;
@group(0) @binding(5) var<storage, read_write> attn: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_q(tok: u32, h: u32, c: u32) -> f32 { return q[tok_row(tok, h) * K + c]; }
fn ld_k(tok: u32, h: u32, c: u32) -> f32 { return k[tok_row(tok, h) * K + c]; }
fn ld_g(tok: u32, h: u32, c: u32) -> f32 { return g[tok_row(tok, h) * K + c]; }
fn ld_qs(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_q(tok, h, c); }
fn ld_ks(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_k(tok, h, c); }
fn ld_gs(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_g(tok, h, c); }
// Linear index of a workgroup in a (possibly folded) 1-D grid.
fn wg_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }
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
  return Stream(seg, r, h, false, pp - min(pp, SHARED), pp, z);
}
fn slot_token(st: Stream, slot: u32) -> u32 { return slot; }
// Whether this kernel (split by input source) handles the stream.
fn source_ok(st: Stream) -> bool { return SOURCE == 0u || (SOURCE == 2u) == st.routed; }
// Offset of the [K, V] state of a stream in [S, P, H, K, V].
fn state_off(st: Stream) -> u32 { return ((st.seq * NP + st.part) * H + st.head) * K * V; }
fn slot_weights(st: Stream, tok: u32) -> vec3<f32> { return vec3<f32>(1.0); }
fn stream_w(p: u32, tok: u32, h: u32) -> vec3<f32> { return vec3<f32>(1.0); }
// Row of stream p (0 ≤ p < NP) of token tok, head h in the per-stream scratch; NONE without a slot.
fn stream_row(p: u32, tok: u32, h: u32) -> u32 { return (p * P.ntok + tok) * H + h; }

// ---- chunk skeleton: the slots of one chunk and their routing weights ----------------------------
// m_tok[j]: token of slot j; m_a/m_b: write/read weight; m_w: 1 if the slot writes (decays) the state.
// Slots j >= L (past the end of a partial chunk) have zero weights and token 0.
var<workgroup> m_tok: array<u32, BT>;
var<workgroup> m_a: array<f32, BT>;
var<workgroup> m_b: array<f32, BT>;
var<workgroup> m_w: array<f32, BT>;

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
const GSL: u32 = KS;
// ---- gate hook (gla, per-channel log-decay) -----------------------------------------------------
// s_G[j·GSL + c] = G_j = Σ_{u ≤ j} g̃_u of channel k0 + c (chunk-local, inclusive); rows j ≥ L repeat
// G_last, so Gv(BT − 1, c) is always the chunk-end cumsum. Parallel scan: GSEG segments of GLEN rows
// per channel scanned by one invocation each, then the segment totals, then the offsets.
const GSEG: u32 = min(WG / GSL, BT);
const GLEN: u32 = BT / GSEG;
var<workgroup> s_G: array<f32, BT * GSL>;
var<workgroup> s_Gt: array<f32, GSEG * GSL>;
fn gate_cumsum(st: Stream, L: u32, k0: u32, lid: u32) {
  for (var e = lid; e < BT * GSL; e += WG) {
    let j = e / GSL;
    var x = 0.0;
    if (j < L) { x = gt(st, j, k0 + e % GSL); }
    s_G[e] = x;
  }
  workgroupBarrier();
  let c = lid % GSL;
  let sg = lid / GSL;
  if (sg < GSEG) {
    var acc = 0.0;
    for (var i = 0u; i < GLEN; i++) {
      let a = (sg * GLEN + i) * GSL + c;
      acc += s_G[a];
      s_G[a] = acc;
    }
    s_Gt[sg * GSL + c] = acc;
  }
  workgroupBarrier();
  if (lid < GSL) {
    var acc = 0.0;
    for (var i = 0u; i < GSEG; i++) {
      let x = s_Gt[i * GSL + lid];
      s_Gt[i * GSL + lid] = acc;
      acc += x;
    }
  }
  workgroupBarrier();
  if (sg < GSEG && sg > 0u) {
    let off = s_Gt[sg * GSL + c];
    for (var i = 0u; i < GLEN; i++) { s_G[(sg * GLEN + i) * GSL + c] += off; }
  }
  workgroupBarrier();
}
fn Gv(j: u32, c: u32) -> f32 { return s_G[j * GSL + c]; }
// ---- slot loaders (routing folded in) ----
fn qt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_b[j] * ld_qs(st.routed, m_tok[j], st.head, c); }
fn kt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_a[j] * ld_ks(st.routed, m_tok[j], st.head, c); }
fn gt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_w[j] * ld_gs(st.routed, m_tok[j], st.head, c); }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (st.part * P.ntok + m_tok[j]) * H + st.head; }
fn dov_head(st: Stream) -> u32 { return st.head; }

// ---- intra-chunk matrix: A_ts of one (chunk, stream head), all K, in KS slices ----------------
// Written for every (t, s) of the BT × BT block (zero above the diagonal and past the chunk end),
// so fwd_o and bwd_dv read it without guards. Invocation: column s = lid % BT, rows
// t = lid / BT + m·RS (m < NA, unrolled accumulators).
const RS: u32 = WG / BT;
var<workgroup> s_q: array<f32, BT * KS>;
var<workgroup> s_k: array<f32, BT * KS>;
// ---- gate hook of A (gla): q̃_tc k̃_sc exp(G_tc − G_sc) for s ≤ t (the caller masks s > t, so no
// positive exponent is ever taken).
fn attn_term(t: u32, c: u32, ks: f32, gs: f32) -> f32 { return s_q[t * KS + c] * ks * exp(Gv(t, c) - gs); }
fn attn_finish(t: u32, s: u32, x: f32) -> f32 { return x; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z + Z_OFF;
  let cc = chunk_begin(wid.y, lid);
  if (cc.ok == 0u) { return; }
  let st = stream_of(cc.seg, cc.key, z);
  load_slot_meta(st, cc.slot0, cc.len, lid);
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
  for (var k0 = 0u; k0 < K; k0 += KS) {
    gate_cumsum(st, cc.len, k0, lid);
    for (var e = lid; e < BT * KS; e += WG) {
      let j = e / KS;
      let c = k0 + e % KS;
      s_q[e] = qt(st, j, c);
      s_k[e] = kt(st, j, c);
    }
    workgroupBarrier();
    for (var c = 0u; c < KS; c++) {
      let ks = s_k[s * KS + c];
      let gs = Gv(s, c);
      if (s <= t0 + 0u * RS) { a0 += attn_term(t0 + 0u * RS, c, ks, gs); }
      if (s <= t0 + 1u * RS) { a1 += attn_term(t0 + 1u * RS, c, ks, gs); }
      if (s <= t0 + 2u * RS) { a2 += attn_term(t0 + 2u * RS, c, ks, gs); }
      if (s <= t0 + 3u * RS) { a3 += attn_term(t0 + 3u * RS, c, ks, gs); }
      if (s <= t0 + 4u * RS) { a4 += attn_term(t0 + 4u * RS, c, ks, gs); }
      if (s <= t0 + 5u * RS) { a5 += attn_term(t0 + 5u * RS, c, ks, gs); }
      if (s <= t0 + 6u * RS) { a6 += attn_term(t0 + 6u * RS, c, ks, gs); }
      if (s <= t0 + 7u * RS) { a7 += attn_term(t0 + 7u * RS, c, ks, gs); }
      if (s <= t0 + 8u * RS) { a8 += attn_term(t0 + 8u * RS, c, ks, gs); }
      if (s <= t0 + 9u * RS) { a9 += attn_term(t0 + 9u * RS, c, ks, gs); }
      if (s <= t0 + 10u * RS) { a10 += attn_term(t0 + 10u * RS, c, ks, gs); }
      if (s <= t0 + 11u * RS) { a11 += attn_term(t0 + 11u * RS, c, ks, gs); }
      if (s <= t0 + 12u * RS) { a12 += attn_term(t0 + 12u * RS, c, ks, gs); }
      if (s <= t0 + 13u * RS) { a13 += attn_term(t0 + 13u * RS, c, ks, gs); }
      if (s <= t0 + 14u * RS) { a14 += attn_term(t0 + 14u * RS, c, ks, gs); }
      if (s <= t0 + 15u * RS) { a15 += attn_term(t0 + 15u * RS, c, ks, gs); }
      if (s <= t0 + 16u * RS) { a16 += attn_term(t0 + 16u * RS, c, ks, gs); }
      if (s <= t0 + 17u * RS) { a17 += attn_term(t0 + 17u * RS, c, ks, gs); }
      if (s <= t0 + 18u * RS) { a18 += attn_term(t0 + 18u * RS, c, ks, gs); }
      if (s <= t0 + 19u * RS) { a19 += attn_term(t0 + 19u * RS, c, ks, gs); }
      if (s <= t0 + 20u * RS) { a20 += attn_term(t0 + 20u * RS, c, ks, gs); }
      if (s <= t0 + 21u * RS) { a21 += attn_term(t0 + 21u * RS, c, ks, gs); }
      if (s <= t0 + 22u * RS) { a22 += attn_term(t0 + 22u * RS, c, ks, gs); }
      if (s <= t0 + 23u * RS) { a23 += attn_term(t0 + 23u * RS, c, ks, gs); }
      if (s <= t0 + 24u * RS) { a24 += attn_term(t0 + 24u * RS, c, ks, gs); }
      if (s <= t0 + 25u * RS) { a25 += attn_term(t0 + 25u * RS, c, ks, gs); }
      if (s <= t0 + 26u * RS) { a26 += attn_term(t0 + 26u * RS, c, ks, gs); }
      if (s <= t0 + 27u * RS) { a27 += attn_term(t0 + 27u * RS, c, ks, gs); }
      if (s <= t0 + 28u * RS) { a28 += attn_term(t0 + 28u * RS, c, ks, gs); }
      if (s <= t0 + 29u * RS) { a29 += attn_term(t0 + 29u * RS, c, ks, gs); }
      if (s <= t0 + 30u * RS) { a30 += attn_term(t0 + 30u * RS, c, ks, gs); }
      if (s <= t0 + 31u * RS) { a31 += attn_term(t0 + 31u * RS, c, ks, gs); }
    }
    workgroupBarrier();
  }
  let base = (wid.y * Z + z) * BT * BT + s;
  attn[base + (t0 + 0u * RS) * BT] = select(0.0, attn_finish(t0 + 0u * RS, s, a0), s <= t0 + 0u * RS && t0 + 0u * RS < cc.len);
  attn[base + (t0 + 1u * RS) * BT] = select(0.0, attn_finish(t0 + 1u * RS, s, a1), s <= t0 + 1u * RS && t0 + 1u * RS < cc.len);
  attn[base + (t0 + 2u * RS) * BT] = select(0.0, attn_finish(t0 + 2u * RS, s, a2), s <= t0 + 2u * RS && t0 + 2u * RS < cc.len);
  attn[base + (t0 + 3u * RS) * BT] = select(0.0, attn_finish(t0 + 3u * RS, s, a3), s <= t0 + 3u * RS && t0 + 3u * RS < cc.len);
  attn[base + (t0 + 4u * RS) * BT] = select(0.0, attn_finish(t0 + 4u * RS, s, a4), s <= t0 + 4u * RS && t0 + 4u * RS < cc.len);
  attn[base + (t0 + 5u * RS) * BT] = select(0.0, attn_finish(t0 + 5u * RS, s, a5), s <= t0 + 5u * RS && t0 + 5u * RS < cc.len);
  attn[base + (t0 + 6u * RS) * BT] = select(0.0, attn_finish(t0 + 6u * RS, s, a6), s <= t0 + 6u * RS && t0 + 6u * RS < cc.len);
  attn[base + (t0 + 7u * RS) * BT] = select(0.0, attn_finish(t0 + 7u * RS, s, a7), s <= t0 + 7u * RS && t0 + 7u * RS < cc.len);
  attn[base + (t0 + 8u * RS) * BT] = select(0.0, attn_finish(t0 + 8u * RS, s, a8), s <= t0 + 8u * RS && t0 + 8u * RS < cc.len);
  attn[base + (t0 + 9u * RS) * BT] = select(0.0, attn_finish(t0 + 9u * RS, s, a9), s <= t0 + 9u * RS && t0 + 9u * RS < cc.len);
  attn[base + (t0 + 10u * RS) * BT] = select(0.0, attn_finish(t0 + 10u * RS, s, a10), s <= t0 + 10u * RS && t0 + 10u * RS < cc.len);
  attn[base + (t0 + 11u * RS) * BT] = select(0.0, attn_finish(t0 + 11u * RS, s, a11), s <= t0 + 11u * RS && t0 + 11u * RS < cc.len);
  attn[base + (t0 + 12u * RS) * BT] = select(0.0, attn_finish(t0 + 12u * RS, s, a12), s <= t0 + 12u * RS && t0 + 12u * RS < cc.len);
  attn[base + (t0 + 13u * RS) * BT] = select(0.0, attn_finish(t0 + 13u * RS, s, a13), s <= t0 + 13u * RS && t0 + 13u * RS < cc.len);
  attn[base + (t0 + 14u * RS) * BT] = select(0.0, attn_finish(t0 + 14u * RS, s, a14), s <= t0 + 14u * RS && t0 + 14u * RS < cc.len);
  attn[base + (t0 + 15u * RS) * BT] = select(0.0, attn_finish(t0 + 15u * RS, s, a15), s <= t0 + 15u * RS && t0 + 15u * RS < cc.len);
  attn[base + (t0 + 16u * RS) * BT] = select(0.0, attn_finish(t0 + 16u * RS, s, a16), s <= t0 + 16u * RS && t0 + 16u * RS < cc.len);
  attn[base + (t0 + 17u * RS) * BT] = select(0.0, attn_finish(t0 + 17u * RS, s, a17), s <= t0 + 17u * RS && t0 + 17u * RS < cc.len);
  attn[base + (t0 + 18u * RS) * BT] = select(0.0, attn_finish(t0 + 18u * RS, s, a18), s <= t0 + 18u * RS && t0 + 18u * RS < cc.len);
  attn[base + (t0 + 19u * RS) * BT] = select(0.0, attn_finish(t0 + 19u * RS, s, a19), s <= t0 + 19u * RS && t0 + 19u * RS < cc.len);
  attn[base + (t0 + 20u * RS) * BT] = select(0.0, attn_finish(t0 + 20u * RS, s, a20), s <= t0 + 20u * RS && t0 + 20u * RS < cc.len);
  attn[base + (t0 + 21u * RS) * BT] = select(0.0, attn_finish(t0 + 21u * RS, s, a21), s <= t0 + 21u * RS && t0 + 21u * RS < cc.len);
  attn[base + (t0 + 22u * RS) * BT] = select(0.0, attn_finish(t0 + 22u * RS, s, a22), s <= t0 + 22u * RS && t0 + 22u * RS < cc.len);
  attn[base + (t0 + 23u * RS) * BT] = select(0.0, attn_finish(t0 + 23u * RS, s, a23), s <= t0 + 23u * RS && t0 + 23u * RS < cc.len);
  attn[base + (t0 + 24u * RS) * BT] = select(0.0, attn_finish(t0 + 24u * RS, s, a24), s <= t0 + 24u * RS && t0 + 24u * RS < cc.len);
  attn[base + (t0 + 25u * RS) * BT] = select(0.0, attn_finish(t0 + 25u * RS, s, a25), s <= t0 + 25u * RS && t0 + 25u * RS < cc.len);
  attn[base + (t0 + 26u * RS) * BT] = select(0.0, attn_finish(t0 + 26u * RS, s, a26), s <= t0 + 26u * RS && t0 + 26u * RS < cc.len);
  attn[base + (t0 + 27u * RS) * BT] = select(0.0, attn_finish(t0 + 27u * RS, s, a27), s <= t0 + 27u * RS && t0 + 27u * RS < cc.len);
  attn[base + (t0 + 28u * RS) * BT] = select(0.0, attn_finish(t0 + 28u * RS, s, a28), s <= t0 + 28u * RS && t0 + 28u * RS < cc.len);
  attn[base + (t0 + 29u * RS) * BT] = select(0.0, attn_finish(t0 + 29u * RS, s, a29), s <= t0 + 29u * RS && t0 + 29u * RS < cc.len);
  attn[base + (t0 + 30u * RS) * BT] = select(0.0, attn_finish(t0 + 30u * RS, s, a30), s <= t0 + 30u * RS && t0 + 30u * RS < cc.len);
  attn[base + (t0 + 31u * RS) * BT] = select(0.0, attn_finish(t0 + 31u * RS, s, a31), s <= t0 + 31u * RS && t0 + 31u * RS < cc.len);
}
