// ssec WGSL kernel bwd_dqk_varlen_f4515423abde: stage bwd_dqk of impl varlen (plan stage bwd_dqkvg).
// Generated file: do not edit.

const H: u32 = 8u; // heads
const K: u32 = 128u; // key dim
const V: u32 = 64u; // value dim
const N: u32 = 6u; // routed partitions
const NP: u32 = 7u; // state partitions (shared + routed)
const R: u32 = 1u; // router rows per token (1 per_token, H per_head)
const HS: u32 = 8u; // heads per varlen segment
const Z: u32 = 8u; // stream heads per chunk row
const ZD: u32 = 8u; // heads of the do·vᵀ matrix
const Z_OFF: u32 = 0u; // first stream head of this kernel
const BT: u32 = 64u; // chunk length
const BK: u32 = 64u; // state tile rows (K)
const BV: u32 = 64u; // state / output tile columns (V)
const KS: u32 = 16u; // K slice of the chunk kernels
const VS: u32 = 16u; // V slice of the chunk kernels
const SB: u32 = 8u; // slot sub-block
const KQ: u32 = 16u; // K tile of dq/dk
const NKQ: u32 = 8u; // number of KQ tiles
const GW: u32 = 1u; // gate width per token (K gla, 1 scalar)
const WG: u32 = 128u; // invocations per workgroup
const KW: u32 = 2u; // writers per token
const KR: u32 = 1u; // readers per token
const SHARED: u32 = 1u; // shared partition on
const OWN: bool = false; // routed partitions read qr/kr/gr
const PER_HEAD: bool = false; // per_head router logits
const SCALE_K: bool = true; // write weight = probability
const SCALE_Q: bool = true; // read weight = probability
const HAS_H0: bool = true; // initial state input
const HAS_HT: bool = true; // final state output
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
  o_dgk: u32, // element offset of dg_tile in dg_part
  _pad0: u32,
  _pad1: u32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> tables: array<u32>;
@group(0) @binding(5) var<storage, read> p_hdo: array<f32>;
@group(0) @binding(6) var<storage, read> p_vdh: array<f32>;
@group(0) @binding(7) var<storage, read> p_hdh: array<f32>;
@group(0) @binding(8) var<storage, read> dattn: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> dqk_part: array<f32>;
@group(0) @binding(10) var<storage, read_write> dg_part: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_q(tok: u32, h: u32, c: u32) -> f32 { return q[tok_row(tok, h) * K + c]; }
fn ld_k(tok: u32, h: u32, c: u32) -> f32 { return k[tok_row(tok, h) * K + c]; }
fn ld_g(tok: u32, h: u32, c: u32) -> f32 { return g[tok_row(tok, h)]; }
fn ld_qs(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_q(tok, h, c); }
fn ld_ks(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_k(tok, h, c); }
fn ld_gs(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_g(tok, h, c); }
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
const GSL: u32 = KQ;
// ---- gate hook (scalar log-decay per head) --------------------------------------------------------
const GATED: bool = true; // whether the chunk has a decay (q̂ / k̂ rescaling is a no-op without)
// s_G[j] = G_j = Σ_{u ≤ j} g̃_u (chunk-local, inclusive); rows j ≥ L repeat G_last. The sums do not
// depend on the K slice: with `fresh` false (a later slice of the same chunk) only the closing barrier runs.
var<workgroup> s_G: array<f32, BT>;
fn gate_cumsum(st: Stream, L: u32, k0: u32, lid: u32, fresh: bool) {
  if (!fresh) {
    workgroupBarrier();
    return;
  }
  for (var j = lid; j < BT; j += WG) {
    var x = 0.0;
    if (j < L) { x = gt(st, j, 0u); }
    s_G[j] = x;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var acc = 0.0;
    for (var j = 0u; j < BT; j++) {
      acc += s_G[j];
      s_G[j] = acc;
    }
  }
  workgroupBarrier();
}
fn Gv(j: u32, c: u32) -> f32 { return s_G[j]; }
fn Gv4(j: u32, c4: u32) -> vec4<f32> { return vec4<f32>(s_G[j]); }
// bwd_dqk's block steps (steps_fill): s_st[J] = exp(G_{b_J} − G_{b_{J−1}}), s_st[NBQ + J] = exp(G_{e_J} − G_{e_{J−1}}), J ≥ 1.
var<workgroup> s_st: array<f32, 2u * NBQ>;
fn steps_fill(lid: u32) {
  for (var e = lid; e < NBQ; e += WG) {
    let J = max(e, 1u);
    s_st[e] = exp(s_G[J * BCQ] - s_G[(J - 1u) * BCQ]);
    s_st[NBQ + e] = exp(s_G[J * BCQ + BCQ - 1u] - s_G[J * BCQ - 1u]);
  }
}
fn step_b(J: u32, c4: u32) -> vec4<f32> { return vec4<f32>(s_st[J]); }
fn step_e(J: u32, c4: u32) -> vec4<f32> { return vec4<f32>(s_st[NBQ + J]); }
// ---- slot loaders (routing folded in) ----
fn qt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_b[j] * ld_qs(st.routed, m_tok[j], st.head, c); }
fn kt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_a[j] * ld_ks(st.routed, m_tok[j], st.head, c); }
fn gt(st: Stream, j: u32, c: u32) -> f32 { return m_w[j] * ld_gs(st.routed, m_tok[j], st.head, c); }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (slot0 + j) * HS + st.z; }
fn dov_head(st: Stream) -> u32 { return st.z; }

// ---- dq̃, dk̃ (and dG) of one (KQ tile, chunk, stream head):
//   dq̃_t = scale [exp(G_t) ⊙ (h do_t) + Σ_{s ≤ t} D_ts k̃_s ⊙ exp(G_t − G_s)]
//   dk̃_s = scale Σ_{t ≥ s} D_ts q̃_t ⊙ exp(G_t − G_s) + exp(G_last − G_s) ⊙ (dh_end v_s)
//   dG_t = q̃_t ⊙ dq̃_t − k̃_t ⊙ dk̃_t (+ rowsum(h_next ⊙ dh_end) at the last slot)
// Register tile: QR items per invocation, item = (row t, channels 4·c4 … 4·c4 + 3); the channel group
// c4 = lid % KQ4 and the block of BCQ rows are the same for every item of an invocation.
// Phase 1 (h do_t, dh v_t and Σ_v h ⊙ dh) comes from bwd_hdo / bwd_vdh (p_hdo, p_vdh, p_hdh).
// Phase 2, intra-chunk sums over sub-blocks of BCQ rows (block of row t: b_t … b_t + BCQ − 1; D from bwd_dov):
//  * own block: one exponential per (t, u, channel), exp(G_t − G_u) for dq̃ (u ≤ t), exp(G_u − G_t) for dk̃ (u ≥ t);
//  * other blocks j, after q̃ → q̂ = q̃ ⊙ exp(G − G_{b_u}) and k̃ → k̂ = k̃ ⊙ exp(G_{e_u} − G) in place:
//    dq̃_t += exp(G_t − G_{e_j}) Σ_{u ∈ j} D_tu k̂_u (j before t's block),
//    dk̃_t += exp(G_{b_j} − G_t) Σ_{u ∈ j} D_ut q̂_u (j after it). The block factors are running
//    products: one exponential per item for the nearest block on each side, then per further block a
//    product with the block step exp(G_{e_j} − G_{e_{j−1}}) (step_e, walking j down) or
//    exp(G_{b_j} − G_{b_{j−1}}) (step_b, walking j up), each ≤ 1 and taken once per workgroup (gate hook).
// D comes folded (bwd_dov): row t of `dattn` holds D_tu for u ≤ t and D_ut for u > t, read as vec4s.
// Every exponent is ≤ 0 (G is non-increasing).
const KQ4: u32 = KQ / 4u;
const BCQ: u32 = min(16u, BT);
const NBQ: u32 = BT / BCQ;
// An invocation's QRI items are rows of one block, RPB apart, same channel group: they share the block's
// q̃ / k̃ / G loads in both sums; with KQ4 = 4 and 2 items a warp holds one block (uniform branches).
const QRI: u32 = 2u;
const RPB: u32 = BCQ / QRI;
const_assert BCQ % QRI == 0u;
var<workgroup> s_x: array<vec4<f32>, BT * KQ4>;
var<workgroup> s_y: array<vec4<f32>, BT * KQ4>;
var<workgroup> s_hdh: array<f32, KQ>;
// Phase 1 from bwd_hdo / bwd_vdh: (h do_t), (dh v_t) of channels k0 + 4·c4 … + 3 (zero beyond K).
fn phase1_hdo(t: u32, c4: u32, sb1: u32, k0: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let kk = k0 + 4u * c4 + q;
    if (kk < K) { x[q] = p_hdo[(sb1 + t) * K + kk]; }
  }
  return x;
}
fn phase1_vdh(t: u32, c4: u32, sb1: u32, k0: u32) -> vec4<f32> {
  var x = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let kk = k0 + 4u * c4 + q;
    if (kk < K) { x[q] = p_vdh[(sb1 + t) * K + kk]; }
  }
  return x;
}
// After phase 2: dG_t and k̃_t ⊙ (dk̃ inter part)_t of channel c (zero past L or K), read by the dg hook.
fn dqk_dG(t: u32, c: u32) -> f32 { return s_x[t * KQ4 + c / 4u][c % 4u]; }
fn dqk_r2(t: u32, c: u32) -> f32 { return s_y[t * KQ4 + c / 4u][c % 4u]; }
fn dqk_set_r2(t: u32, c: u32, x: f32) { s_y[t * KQ4 + c / 4u][c % 4u] = x; }
// ---- gate-gradient hook (scalar decay): dG_t summed over this KQ tile's channels (plus the
// rowsum term at the last slot), stored per tile; bwd_dg adds the tiles and reverse-cumsums.
// On entry dqk_dG(t, c) = dG_t, dqk_r2(t, c) = k̃_t ⊙ (dk̃ inter part)_t (zero past L or K).
fn dg_finish(st: Stream, cc: ChunkCtx, k0: u32, lid: u32) {
  let L = cc.len;
  let base = P.o_dgk + ((cc.row * Z + st.z) * NKQ + k0 / KQ) * BT;
  for (var t = lid; t < BT; t += WG) {
    var a = 0.0;
    for (var c = 0u; c < KQ; c++) { a += dqk_dG(t, c); }
    if (t + 1u == L) {
      for (var c = 0u; c < KQ; c++) { a += exp(Gv(BT - 1u, c)) * s_hdh[c]; }
      for (var u = 0u; u < BT; u++) {
        for (var c = 0u; c < KQ; c++) { a += dqk_r2(u, c); }
      }
    }
    dg_part[base + t] = a;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k0 = wid.x * KQ;
  let z = wid.z + Z_OFF;
  let cc = chunk_begin(wid.y, lid);
  if (cc.ok == 0u) { return; }
  let L = cc.len;
  let st = stream_of(cc.seg, cc.key, z);
  if (!source_ok(st)) { return; }
  load_slot_meta(st, cc.slot0, L, lid);
  workgroupBarrier();
  let c4 = lid % KQ4;
  let kmask = vec4<u32>(k0 + 4u * c4) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(K);
  let sb1 = (wid.y * Z + z) * BT;
  let ib = lid / (RPB * KQ4); // the invocation's block (≥ NBQ: idle)
  let ir = (lid / KQ4) % RPB;
  let act = ib < NBQ;
  let bq = min(ib, NBQ - 1u) * BCQ;
  let tq0 = bq + 0u * RPB + ir;
  let act0 = act;
  let hdo0 = phase1_hdo(tq0, c4, sb1, k0);
  let dk20 = phase1_vdh(tq0, c4, sb1, k0);
  let tq1 = bq + 1u * RPB + ir;
  let act1 = act;
  let hdo1 = phase1_hdo(tq1, c4, sb1, k0);
  let dk21 = phase1_vdh(tq1, c4, sb1, k0);
  for (var c = lid; c < KQ; c += WG) {
    var x = 0.0;
    if (k0 + c < K) { x = p_hdh[(wid.y * Z + z) * K + k0 + c]; }
    s_hdh[c] = x;
  }
  for (var e = lid; e < BT * KQ4; e += WG) {
    let j = e / KQ4;
    let c = k0 + 4u * (e % KQ4);
    s_x[e] = vec4<f32>(qt(st, j, c), qt(st, j, c + 1u), qt(st, j, c + 2u), qt(st, j, c + 3u));
    s_y[e] = vec4<f32>(kt(st, j, c), kt(st, j, c + 1u), kt(st, j, c + 2u), kt(st, j, c + 3u));
  }
  gate_cumsum(st, L, k0, lid, true); // ends with a barrier
  let db4 = (wid.y * ZD + dov_head(st)) * BT * BT / 4u;
  let gt0 = Gv4(tq0, c4);
  let qraw0 = s_x[tq0 * KQ4 + c4];
  let kraw0 = s_y[tq0 * KQ4 + c4];
  var iq0 = vec4<f32>(0.0);
  var ik0 = vec4<f32>(0.0);
  let gt1 = Gv4(tq1, c4);
  let qraw1 = s_x[tq1 * KQ4 + c4];
  let kraw1 = s_y[tq1 * KQ4 + c4];
  var iq1 = vec4<f32>(0.0);
  var ik1 = vec4<f32>(0.0);
  // own sub-block: one exponential per (t, u, channel), the non-positive one of ±(G_t − G_u)
  for (var uv = 0u; uv < BCQ / 4u; uv++) {
    let d0 = dattn[db4 + (tq0 * BT + bq) / 4u + uv];
    let d1 = dattn[db4 + (tq1 * BT + bq) / 4u + uv];
    for (var q = 0u; q < 4u; q++) {
      let u = bq + 4u * uv + q;
      let gu = Gv4(u, c4);
      let ky = s_y[u * KQ4 + c4];
      let qx = s_x[u * KQ4 + c4];
      {
        let lower = u <= tq0;
        let e = d0[q] * exp(select(gu - gt0, gt0 - gu, lower));
        iq0 += select(vec4<f32>(0.0), e * ky, lower);
        ik0 += select(vec4<f32>(0.0), e * qx, u >= tq0);
      }
      {
        let lower = u <= tq1;
        let e = d1[q] * exp(select(gu - gt1, gt1 - gu, lower));
        iq1 += select(vec4<f32>(0.0), e * ky, lower);
        ik1 += select(vec4<f32>(0.0), e * qx, u >= tq1);
      }
    }
  }
  if (GATED) {
    workgroupBarrier();
    for (var e = lid; e < BT * KQ4; e += WG) {
      let j = e / KQ4;
      let g = e % KQ4;
      let b = j - j % BCQ;
      let gj = Gv4(j, g);
      s_x[e] *= exp(gj - Gv4(b, g));
      s_y[e] *= exp(Gv4(b + BCQ - 1u, g) - gj);
    }
    steps_fill(lid); // block steps step_b / step_e (gate hook)
    workgroupBarrier();
  }
  // other sub-blocks: plain products with q̂ / k̂; later blocks (dk̃) walking up, earlier ones (dq̃) down
  var rk0 = exp(Gv4(min(bq + BCQ, BT - 1u), c4) - gt0);
  var rq0 = exp(gt0 - Gv4(max(bq, 1u) - 1u, c4));
  var rk1 = exp(Gv4(min(bq + BCQ, BT - 1u), c4) - gt1);
  var rq1 = exp(gt1 - Gv4(max(bq, 1u) - 1u, c4));
// block_walk: the blocks on one side of the invocation's own, in the order its running factor r needs
// (first / block give the walk), p = Σ_u D_tu · op_u per block, acc += r · p, then r *= the next step.
  for (var jj = ib + 1u; jj < NBQ; jj++) {
    let jb = jj;
    let u0 = jb * BCQ;
    var p0 = vec4<f32>(0.0);
    var p1 = vec4<f32>(0.0);
    for (var uv = 0u; uv < BCQ / 4u; uv++) {
      let d0 = dattn[db4 + (tq0 * BT + u0) / 4u + uv];
      let d1 = dattn[db4 + (tq1 * BT + u0) / 4u + uv];
      for (var q = 0u; q < 4u; q++) {
        let x = s_x[(u0 + 4u * uv + q) * KQ4 + c4];
        p0 += d0[q] * x;
        p1 += d1[q] * x;
      }
    }
    let step = step_b(min(jb + 1u, NBQ - 1u), c4);
    ik0 += rk0 * p0;
    rk0 *= step;
    ik1 += rk1 * p1;
    rk1 *= step;
  }
  for (var jj = NBQ - select(0u, ib, act); jj < NBQ; jj++) {
    let jb = NBQ - 1u - jj;
    let u0 = jb * BCQ;
    var p0 = vec4<f32>(0.0);
    var p1 = vec4<f32>(0.0);
    for (var uv = 0u; uv < BCQ / 4u; uv++) {
      let d0 = dattn[db4 + (tq0 * BT + u0) / 4u + uv];
      let d1 = dattn[db4 + (tq1 * BT + u0) / 4u + uv];
      for (var q = 0u; q < 4u; q++) {
        let x = s_y[(u0 + 4u * uv + q) * KQ4 + c4];
        p0 += d0[q] * x;
        p1 += d1[q] * x;
      }
    }
    let step = step_e(jb, c4);
    iq0 += rq0 * p0;
    rq0 *= step;
    iq1 += rq1 * p1;
    rq1 *= step;
  }
  let gl = Gv4(BT - 1u, c4);
  let dq0 = SCALE * (exp(gt0) * hdo0 + iq0);
  let d20 = exp(gl - gt0) * dk20;
  let dk0 = SCALE * ik0 + d20;
  let ok0 = kmask & vec4<bool>(act0 && tq0 < L);
  let dG0 = select(vec4<f32>(0.0), qraw0 * dq0 - kraw0 * dk0, ok0);
  let r20 = select(vec4<f32>(0.0), kraw0 * d20, ok0);
  if (act0 && tq0 < L) {
    let row = part_row(st, cc.slot0, tq0);
    for (var q = 0u; q < 4u; q++) {
      if (ok0[q]) {
        dqk_part[P.o_dq + row * K + k0 + 4u * c4 + q] = dq0[q];
        dqk_part[P.o_dk + row * K + k0 + 4u * c4 + q] = dk0[q];
      }
    }
  }
  let dq1 = SCALE * (exp(gt1) * hdo1 + iq1);
  let d21 = exp(gl - gt1) * dk21;
  let dk1 = SCALE * ik1 + d21;
  let ok1 = kmask & vec4<bool>(act1 && tq1 < L);
  let dG1 = select(vec4<f32>(0.0), qraw1 * dq1 - kraw1 * dk1, ok1);
  let r21 = select(vec4<f32>(0.0), kraw1 * d21, ok1);
  if (act1 && tq1 < L) {
    let row = part_row(st, cc.slot0, tq1);
    for (var q = 0u; q < 4u; q++) {
      if (ok1[q]) {
        dqk_part[P.o_dq + row * K + k0 + 4u * c4 + q] = dq1[q];
        dqk_part[P.o_dk + row * K + k0 + 4u * c4 + q] = dk1[q];
      }
    }
  }
  workgroupBarrier();
  if (act0) {
    s_x[tq0 * KQ4 + c4] = dG0;
    s_y[tq0 * KQ4 + c4] = r20;
  }
  if (act1) {
    s_x[tq1 * KQ4 + c4] = dG1;
    s_y[tq1 * KQ4 + c4] = r21;
  }
  workgroupBarrier();
  dg_finish(st, cc, k0, lid);
}
