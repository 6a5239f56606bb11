// ssec WGSL kernel bwd_dqk_varlen_5bd89452b3dd: stage bwd_dqk of impl varlen (plan stage bwd_dqkvg).
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
const SB: u32 = 16u; // slot sub-block
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
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> tables: array<u32>;
@group(0) @binding(7) var<storage, read> h: array<f32>;
@group(0) @binding(8) var<storage, read> dh: array<f32>;
@group(0) @binding(9) var<storage, read> dattn: array<f32>;
@group(0) @binding(10) var<storage, read_write> dqk_part: array<f32>;
@group(0) @binding(11) var<storage, read_write> dg_part: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_q(tok: u32, h: u32, c: u32) -> f32 { return q[tok_row(tok, h) * K + c]; }
fn ld_k(tok: u32, h: u32, c: u32) -> f32 { return k[tok_row(tok, h) * K + c]; }
fn ld_g(tok: u32, h: u32, c: u32) -> f32 { return g[tok_row(tok, h)]; }
fn ld_v(tok: u32, h: u32, c: u32) -> f32 { return v[tok_row(tok, h) * V + c]; }
fn ld_dout(tok: u32, h: u32, c: u32) -> f32 { return dout[tok_row(tok, h) * V + c]; }
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
// s_G[j] = G_j = Σ_{u ≤ j} g̃_u (chunk-local, inclusive); rows j ≥ L repeat G_last.
var<workgroup> s_G: array<f32, BT>;
fn gate_cumsum(st: Stream, L: u32, k0: u32, lid: u32) {
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
// ---- slot loaders (routing folded in) ----
fn qt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_b[j] * ld_qs(st.routed, m_tok[j], st.head, c); }
fn kt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_a[j] * ld_ks(st.routed, m_tok[j], st.head, c); }
fn gt(st: Stream, j: u32, c: u32) -> f32 { return m_w[j] * ld_gs(st.routed, m_tok[j], st.head, c); }
fn vt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_v(m_tok[j], st.head, c); }
fn dt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_dout(m_tok[j], st.head, c); }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (slot0 + j) * HS + st.z; }
fn dov_head(st: Stream) -> u32 { return st.z; }

// ---- dq̃, dk̃ (and dG) of one (KQ tile, chunk, stream head):
//   dq̃_t = scale [exp(G_t) ⊙ (h do_t) + Σ_{s ≤ t} D_ts k̃_s ⊙ exp(G_t − G_s)]
//   dk̃_s = scale Σ_{t ≥ s} D_ts q̃_t ⊙ exp(G_t − G_s) + exp(G_last − G_s) ⊙ (dh_end v_s)
//   dG_t = q̃_t ⊙ dq̃_t − k̃_t ⊙ dk̃_t (+ rowsum(h_next ⊙ dh_end) at the last slot)
// Invocation: channel c = lid % KQ, rows t = lid / KQ + m·RQ (unrolled). Phase 1 (V slices): h do_t,
// dh v_t and Σ_v h ⊙ dh; phase 2: the intra-chunk sums (D from bwd_dov), masked, never a positive exponent.
const RQ: u32 = WG / KQ;
var<workgroup> s_x: array<f32, max(BT * VS, BT * KQ)>;
var<workgroup> s_y: array<f32, max(BT * VS, BT * KQ)>;
var<workgroup> s_h: array<f32, KQ * VS>;
var<workgroup> s_dh: array<f32, KQ * VS>;
var<workgroup> s_hdh: array<f32, KQ>;
// ---- gate-gradient hook (scalar decay): dG_t summed over this KQ tile's channels (plus the
// rowsum term at the last slot), stored per tile; bwd_dg adds the tiles and reverse-cumsums.
// On entry s_x[t·KQ + c] = dG_t, s_y[t·KQ + c] = k̃_t ⊙ (dk̃ inter part)_t (zero past L or K).
fn dg_finish(st: Stream, cc: ChunkCtx, k0: u32, lid: u32) {
  let L = cc.len;
  let base = P.o_dgk + ((cc.row * Z + st.z) * NKQ + k0 / KQ) * BT;
  for (var t = lid; t < BT; t += WG) {
    var a = 0.0;
    for (var c = 0u; c < KQ; c++) { a += s_x[t * KQ + c]; }
    if (t + 1u == L) {
      for (var c = 0u; c < KQ; c++) { a += exp(Gv(BT - 1u, c)) * s_hdh[c]; }
      for (var e = 0u; e < BT * KQ; e++) { a += s_y[e]; }
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
  let c = lid % KQ;
  let t0 = lid / KQ;
  let sb = (wid.y * Z + z) * K * V;
  var hdo0 = 0.0;
  var dk20 = 0.0;
  var hdo1 = 0.0;
  var dk21 = 0.0;
  var hdo2 = 0.0;
  var dk22 = 0.0;
  var hdo3 = 0.0;
  var dk23 = 0.0;
  var hdo4 = 0.0;
  var dk24 = 0.0;
  var hdo5 = 0.0;
  var dk25 = 0.0;
  var hdo6 = 0.0;
  var dk26 = 0.0;
  var hdo7 = 0.0;
  var dk27 = 0.0;
  var hdh = 0.0;
  for (var v0 = 0u; v0 < V; v0 += VS) {
    for (var e = lid; e < BT * VS; e += WG) {
      let j = e / VS;
      let vv = v0 + e % VS;
      s_x[e] = dt(st, j, vv, L);
      s_y[e] = vt(st, j, vv, L);
    }
    for (var e = lid; e < KQ * VS; e += WG) {
      let kk = k0 + e / VS;
      let vv = v0 + e % VS;
      var a = 0.0;
      var b = 0.0;
      if (kk < K && vv < V) {
        a = h[sb + kk * V + vv];
        b = dh[sb + kk * V + vv];
      }
      s_h[e] = a;
      s_dh[e] = b;
    }
    workgroupBarrier();
    for (var v = 0u; v < VS; v++) {
      let hv = s_h[c * VS + v];
      let dhv = s_dh[c * VS + v];
      hdo0 += hv * s_x[(t0 + 0u * RQ) * VS + v];
      dk20 += dhv * s_y[(t0 + 0u * RQ) * VS + v];
      hdo1 += hv * s_x[(t0 + 1u * RQ) * VS + v];
      dk21 += dhv * s_y[(t0 + 1u * RQ) * VS + v];
      hdo2 += hv * s_x[(t0 + 2u * RQ) * VS + v];
      dk22 += dhv * s_y[(t0 + 2u * RQ) * VS + v];
      hdo3 += hv * s_x[(t0 + 3u * RQ) * VS + v];
      dk23 += dhv * s_y[(t0 + 3u * RQ) * VS + v];
      hdo4 += hv * s_x[(t0 + 4u * RQ) * VS + v];
      dk24 += dhv * s_y[(t0 + 4u * RQ) * VS + v];
      hdo5 += hv * s_x[(t0 + 5u * RQ) * VS + v];
      dk25 += dhv * s_y[(t0 + 5u * RQ) * VS + v];
      hdo6 += hv * s_x[(t0 + 6u * RQ) * VS + v];
      dk26 += dhv * s_y[(t0 + 6u * RQ) * VS + v];
      hdo7 += hv * s_x[(t0 + 7u * RQ) * VS + v];
      dk27 += dhv * s_y[(t0 + 7u * RQ) * VS + v];
    }
    if (lid < KQ) {
      for (var v = 0u; v < VS; v++) { hdh += s_h[lid * VS + v] * s_dh[lid * VS + v]; }
    }
    workgroupBarrier();
  }
  if (lid < KQ) { s_hdh[lid] = hdh; }
  gate_cumsum(st, L, k0, lid);
  for (var e = lid; e < BT * KQ; e += WG) {
    let j = e / KQ;
    let kk = k0 + e % KQ;
    s_x[e] = qt(st, j, kk);
    s_y[e] = kt(st, j, kk);
  }
  workgroupBarrier();
  let db = (wid.y * ZD + dov_head(st)) * BT * BT;
  let tq0 = t0 + 0u * RQ;
  let g0 = Gv(tq0, c);
  var iq0 = 0.0;
  var ik0 = 0.0;
  let tq1 = t0 + 1u * RQ;
  let g1 = Gv(tq1, c);
  var iq1 = 0.0;
  var ik1 = 0.0;
  let tq2 = t0 + 2u * RQ;
  let g2 = Gv(tq2, c);
  var iq2 = 0.0;
  var ik2 = 0.0;
  let tq3 = t0 + 3u * RQ;
  let g3 = Gv(tq3, c);
  var iq3 = 0.0;
  var ik3 = 0.0;
  let tq4 = t0 + 4u * RQ;
  let g4 = Gv(tq4, c);
  var iq4 = 0.0;
  var ik4 = 0.0;
  let tq5 = t0 + 5u * RQ;
  let g5 = Gv(tq5, c);
  var iq5 = 0.0;
  var ik5 = 0.0;
  let tq6 = t0 + 6u * RQ;
  let g6 = Gv(tq6, c);
  var iq6 = 0.0;
  var ik6 = 0.0;
  let tq7 = t0 + 7u * RQ;
  let g7 = Gv(tq7, c);
  var iq7 = 0.0;
  var ik7 = 0.0;
  for (var s = 0u; s < L; s++) {
    let ks = s_y[s * KQ + c];
    let qs = s_x[s * KQ + c];
    let gs = Gv(s, c);
    if (s <= tq0) { iq0 += dattn[db + tq0 * BT + s] * ks * exp(g0 - gs); }
    if (s >= tq0) { ik0 += dattn[db + s * BT + tq0] * qs * exp(gs - g0); }
    if (s <= tq1) { iq1 += dattn[db + tq1 * BT + s] * ks * exp(g1 - gs); }
    if (s >= tq1) { ik1 += dattn[db + s * BT + tq1] * qs * exp(gs - g1); }
    if (s <= tq2) { iq2 += dattn[db + tq2 * BT + s] * ks * exp(g2 - gs); }
    if (s >= tq2) { ik2 += dattn[db + s * BT + tq2] * qs * exp(gs - g2); }
    if (s <= tq3) { iq3 += dattn[db + tq3 * BT + s] * ks * exp(g3 - gs); }
    if (s >= tq3) { ik3 += dattn[db + s * BT + tq3] * qs * exp(gs - g3); }
    if (s <= tq4) { iq4 += dattn[db + tq4 * BT + s] * ks * exp(g4 - gs); }
    if (s >= tq4) { ik4 += dattn[db + s * BT + tq4] * qs * exp(gs - g4); }
    if (s <= tq5) { iq5 += dattn[db + tq5 * BT + s] * ks * exp(g5 - gs); }
    if (s >= tq5) { ik5 += dattn[db + s * BT + tq5] * qs * exp(gs - g5); }
    if (s <= tq6) { iq6 += dattn[db + tq6 * BT + s] * ks * exp(g6 - gs); }
    if (s >= tq6) { ik6 += dattn[db + s * BT + tq6] * qs * exp(gs - g6); }
    if (s <= tq7) { iq7 += dattn[db + tq7 * BT + s] * ks * exp(g7 - gs); }
    if (s >= tq7) { ik7 += dattn[db + s * BT + tq7] * qs * exp(gs - g7); }
  }
  let gl = Gv(BT - 1u, c);
  let dq0 = SCALE * (exp(g0) * hdo0 + iq0);
  let d20 = exp(gl - g0) * dk20;
  let dk0 = SCALE * ik0 + d20;
  let ok0 = tq0 < L && k0 + c < K;
  let dG0 = select(0.0, s_x[tq0 * KQ + c] * dq0 - s_y[tq0 * KQ + c] * dk0, ok0);
  let r20 = select(0.0, s_y[tq0 * KQ + c] * d20, ok0);
  if (ok0) {
    let row = part_row(st, cc.slot0, tq0);
    dqk_part[P.o_dq + row * K + k0 + c] = dq0;
    dqk_part[P.o_dk + row * K + k0 + c] = dk0;
  }
  let dq1 = SCALE * (exp(g1) * hdo1 + iq1);
  let d21 = exp(gl - g1) * dk21;
  let dk1 = SCALE * ik1 + d21;
  let ok1 = tq1 < L && k0 + c < K;
  let dG1 = select(0.0, s_x[tq1 * KQ + c] * dq1 - s_y[tq1 * KQ + c] * dk1, ok1);
  let r21 = select(0.0, s_y[tq1 * KQ + c] * d21, ok1);
  if (ok1) {
    let row = part_row(st, cc.slot0, tq1);
    dqk_part[P.o_dq + row * K + k0 + c] = dq1;
    dqk_part[P.o_dk + row * K + k0 + c] = dk1;
  }
  let dq2 = SCALE * (exp(g2) * hdo2 + iq2);
  let d22 = exp(gl - g2) * dk22;
  let dk2 = SCALE * ik2 + d22;
  let ok2 = tq2 < L && k0 + c < K;
  let dG2 = select(0.0, s_x[tq2 * KQ + c] * dq2 - s_y[tq2 * KQ + c] * dk2, ok2);
  let r22 = select(0.0, s_y[tq2 * KQ + c] * d22, ok2);
  if (ok2) {
    let row = part_row(st, cc.slot0, tq2);
    dqk_part[P.o_dq + row * K + k0 + c] = dq2;
    dqk_part[P.o_dk + row * K + k0 + c] = dk2;
  }
  let dq3 = SCALE * (exp(g3) * hdo3 + iq3);
  let d23 = exp(gl - g3) * dk23;
  let dk3 = SCALE * ik3 + d23;
  let ok3 = tq3 < L && k0 + c < K;
  let dG3 = select(0.0, s_x[tq3 * KQ + c] * dq3 - s_y[tq3 * KQ + c] * dk3, ok3);
  let r23 = select(0.0, s_y[tq3 * KQ + c] * d23, ok3);
  if (ok3) {
    let row = part_row(st, cc.slot0, tq3);
    dqk_part[P.o_dq + row * K + k0 + c] = dq3;
    dqk_part[P.o_dk + row * K + k0 + c] = dk3;
  }
  let dq4 = SCALE * (exp(g4) * hdo4 + iq4);
  let d24 = exp(gl - g4) * dk24;
  let dk4 = SCALE * ik4 + d24;
  let ok4 = tq4 < L && k0 + c < K;
  let dG4 = select(0.0, s_x[tq4 * KQ + c] * dq4 - s_y[tq4 * KQ + c] * dk4, ok4);
  let r24 = select(0.0, s_y[tq4 * KQ + c] * d24, ok4);
  if (ok4) {
    let row = part_row(st, cc.slot0, tq4);
    dqk_part[P.o_dq + row * K + k0 + c] = dq4;
    dqk_part[P.o_dk + row * K + k0 + c] = dk4;
  }
  let dq5 = SCALE * (exp(g5) * hdo5 + iq5);
  let d25 = exp(gl - g5) * dk25;
  let dk5 = SCALE * ik5 + d25;
  let ok5 = tq5 < L && k0 + c < K;
  let dG5 = select(0.0, s_x[tq5 * KQ + c] * dq5 - s_y[tq5 * KQ + c] * dk5, ok5);
  let r25 = select(0.0, s_y[tq5 * KQ + c] * d25, ok5);
  if (ok5) {
    let row = part_row(st, cc.slot0, tq5);
    dqk_part[P.o_dq + row * K + k0 + c] = dq5;
    dqk_part[P.o_dk + row * K + k0 + c] = dk5;
  }
  let dq6 = SCALE * (exp(g6) * hdo6 + iq6);
  let d26 = exp(gl - g6) * dk26;
  let dk6 = SCALE * ik6 + d26;
  let ok6 = tq6 < L && k0 + c < K;
  let dG6 = select(0.0, s_x[tq6 * KQ + c] * dq6 - s_y[tq6 * KQ + c] * dk6, ok6);
  let r26 = select(0.0, s_y[tq6 * KQ + c] * d26, ok6);
  if (ok6) {
    let row = part_row(st, cc.slot0, tq6);
    dqk_part[P.o_dq + row * K + k0 + c] = dq6;
    dqk_part[P.o_dk + row * K + k0 + c] = dk6;
  }
  let dq7 = SCALE * (exp(g7) * hdo7 + iq7);
  let d27 = exp(gl - g7) * dk27;
  let dk7 = SCALE * ik7 + d27;
  let ok7 = tq7 < L && k0 + c < K;
  let dG7 = select(0.0, s_x[tq7 * KQ + c] * dq7 - s_y[tq7 * KQ + c] * dk7, ok7);
  let r27 = select(0.0, s_y[tq7 * KQ + c] * d27, ok7);
  if (ok7) {
    let row = part_row(st, cc.slot0, tq7);
    dqk_part[P.o_dq + row * K + k0 + c] = dq7;
    dqk_part[P.o_dk + row * K + k0 + c] = dk7;
  }
  workgroupBarrier();
  s_x[tq0 * KQ + c] = dG0;
  s_y[tq0 * KQ + c] = r20;
  s_x[tq1 * KQ + c] = dG1;
  s_y[tq1 * KQ + c] = r21;
  s_x[tq2 * KQ + c] = dG2;
  s_y[tq2 * KQ + c] = r22;
  s_x[tq3 * KQ + c] = dG3;
  s_y[tq3 * KQ + c] = r23;
  s_x[tq4 * KQ + c] = dG4;
  s_y[tq4 * KQ + c] = r24;
  s_x[tq5 * KQ + c] = dG5;
  s_y[tq5 * KQ + c] = r25;
  s_x[tq6 * KQ + c] = dG6;
  s_y[tq6 * KQ + c] = r26;
  s_x[tq7 * KQ + c] = dG7;
  s_y[tq7 * KQ + c] = r27;
  workgroupBarrier();
  dg_finish(st, cc, k0, lid);
}
