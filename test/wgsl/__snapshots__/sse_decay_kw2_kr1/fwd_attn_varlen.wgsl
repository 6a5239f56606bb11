// ssec WGSL kernel fwd_attn_varlen_10095f4e72d4: stage fwd_attn of impl varlen (plan stage fwd_o).
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
@group(0) @binding(5) var<storage, read_write> attn: array<f32>;
@group(0) @binding(6) var<storage, read_write> qhat: array<f32>;
@group(0) @binding(7) var<storage, read_write> khat: array<f32>;
@group(0) @binding(8) var<storage, read_write> gdec: array<f32>;

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
const GSL: u32 = KS;
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
// ---- slot loaders (routing folded in) ----
fn qt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_b[j] * ld_qs(st.routed, m_tok[j], st.head, c); }
fn kt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_a[j] * ld_ks(st.routed, m_tok[j], st.head, c); }
fn gt(st: Stream, j: u32, c: u32) -> f32 { return m_w[j] * ld_gs(st.routed, m_tok[j], st.head, c); }
fn qhat_at(row: u32, z: u32, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return qhat[((row * Z + z) * BT + j) * K + c]; }
fn khat_at(row: u32, z: u32, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return khat[((row * Z + z) * BT + j) * K + c]; }
fn gdec_at(row: u32, z: u32, c: u32) -> f32 { if (c >= K) { return 1.0; } return gdec[(row * Z + z) * K + c]; }
// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).
fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (slot0 + j) * HS + st.z; }
fn dov_head(st: Stream) -> u32 { return st.z; }

// ---- intra-chunk matrix A_ts = Σ_k q̃_tk k̃_sk exp(G_tk − G_sk) (s ≤ t) of one (chunk, stream head),
// all K in KS slices. The chunk is split into sub-blocks of BC rows (block i: rows b_i = BC·i … e_i = b_i + BC − 1).
//  * Off-diagonal block pairs i > j: exp(G_t − G_s) = exp(G_t − G_{b_i}) · exp(G_{b_i} − G_{e_j}) · exp(G_{e_j} − G_s),
//    every exponent ≤ 0 (G is non-increasing), so A_ts = Σ_k q̂_tk m_ijk k̂_sk with q̂ = q̃ ⊙ exp(G − G_b),
//    k̂ = k̃ ⊙ exp(G_e − G) (converted in place once per slice) and m_ij = exp(G_{b_i} − G_{e_j}): one BC × BC
//    register tile per block pair, vec4 loads along k (10 loads and one vec4 exponential per 16 dot4).
//  * Diagonal blocks: one exponential per element, its exponent masked to s ≤ t before exp.
// Also saves the decayed operands q̂, k̂ of every slot (zero past the chunk end) and exp(G_last) per channel.
// Every (t, s) of the BT × BT block is written (zero above the diagonal and past the chunk end), so
// fwd_o and bwd_dv read A without guards: each off-diagonal tile also zeroes its transpose.
const BC: u32 = 4u; // = ATTN_BC of render.ts (the tile code below is written for 4 × 4)
const NB: u32 = BT / BC;
const NU: u32 = NB * (NB - 1u) / 2u;
const ND: u32 = BT * BC;
const KS4: u32 = KS / 4u;
// Slice tiles, row-major in the pad16 layout (chunk_common): the off-diagonal tiles of a warp read rows
// of many different 4-row blocks at once.
var<workgroup> s_q: array<vec4<f32>, BT * KS4 + BT * KS4 / 16u>;
var<workgroup> s_k: array<vec4<f32>, BT * KS4 + BT * KS4 / 16u>;
fn qk_ix(j: u32, c4: u32) -> u32 { return pad16(j * KS4 + c4); }
// ---- gate hook of A (scalar decay): exp(G_t − G_s) · q̃_t·k̃_s, s ≤ t: the decay factors out of the
// sum over k, so every block is a plain product and one exponential per element is taken at the end
// (the caller masks s > t).
const ATTN_HAT: bool = false;
fn attn_diag(q: vec4<f32>, k: vec4<f32>, gt: vec4<f32>, gs: vec4<f32>, causal: bool) -> f32 { return dot(q, k); }
fn attn_hat(lid: u32) {}
fn attn_mid(bi: u32, ej: u32, c4: u32) -> vec4<f32> { return vec4<f32>(1.0); }
fn attn_finish(t: u32, s: u32, x: f32) -> f32 { return x * exp(Gv(t, 0u) - Gv(s, 0u)); }

// Slice entry e of q̃ / k̃ (slot e / KS4, channels k0 + 4 · (e % KS4) …; zero past BT · KS4). The next
// slice's entries (NQK per invocation) are loaded into registers while this slice computes.
fn q_ld(st: Stream, k0: u32, e: u32) -> vec4<f32> {
  if (e >= BT * KS4) { return vec4<f32>(0.0); }
  let j = e / KS4;
  let c = k0 + 4u * (e % KS4);
  return vec4<f32>(qt(st, j, c), qt(st, j, c + 1u), qt(st, j, c + 2u), qt(st, j, c + 3u));
}
fn k_ld(st: Stream, k0: u32, e: u32) -> vec4<f32> {
  if (e >= BT * KS4) { return vec4<f32>(0.0); }
  let j = e / KS4;
  let c = k0 + 4u * (e % KS4);
  return vec4<f32>(kt(st, j, c), kt(st, j, c + 1u), kt(st, j, c + 2u), kt(st, j, c + 3u));
}

// First rows (b_i, b_j) of the blocks of off-diagonal pair u (row-major over the strict lower triangle, i > j).
fn unit_rows(u: u32) -> vec2<u32> {
  var i = u32(floor((1.0 + sqrt(1.0 + 8.0 * f32(u))) * 0.5));
  if (i * (i - 1u) / 2u > u) { i -= 1u; }
  if ((i + 1u) * i / 2u <= u) { i += 1u; }
  return vec2<u32>(i, u - i * (i - 1u) / 2u) * BC;
}

fn attn_tile_row(q: vec4<f32>, k0: vec4<f32>, k1: vec4<f32>, k2: vec4<f32>, k3: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(q, k0), dot(q, k1), dot(q, k2), dot(q, k3));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z + Z_OFF;
  let cc = chunk_begin(wid.y, lid);
  if (cc.ok == 0u) { return; }
  let L = cc.len;
  let st = stream_of(cc.seg, cc.key, z);
  load_slot_meta(st, cc.slot0, L, lid);
  workgroupBarrier();
  let hat_base = (wid.y * Z + z) * BT;
  // Diagonal-block entries e = lid + m·WG: row t = e / BC, column s = b(t) + e % BC.
  let dt0 = min((lid + 0u * WG) / BC, BT - 1u);
  let ds0 = dt0 - dt0 % BC + (lid + 0u * WG) % BC;
  var ad0 = 0.0;
  let dt1 = min((lid + 1u * WG) / BC, BT - 1u);
  let ds1 = dt1 - dt1 % BC + (lid + 1u * WG) % BC;
  var ad1 = 0.0;
  // Off-diagonal tiles u = lid + m·WG (idle invocations repeat the last tile and store nothing).
  let up0 = unit_rows(min(lid + 0u * WG, NU - 1u));
  var a0r0 = vec4<f32>(0.0);
  var a0r1 = vec4<f32>(0.0);
  var a0r2 = vec4<f32>(0.0);
  var a0r3 = vec4<f32>(0.0);
  var nq0 = q_ld(st, 0u, lid + 0u * WG);
  var nk0 = k_ld(st, 0u, lid + 0u * WG);
  var nq1 = q_ld(st, 0u, lid + 1u * WG);
  var nk1 = k_ld(st, 0u, lid + 1u * WG);
  for (var k0 = 0u; k0 < K; k0 += KS) {
    if (lid + 0u * WG < BT * KS4) {
      s_q[pad16(lid + 0u * WG)] = nq0;
      s_k[pad16(lid + 0u * WG)] = nk0;
    }
    if (lid + 1u * WG < BT * KS4) {
      s_q[pad16(lid + 1u * WG)] = nq1;
      s_k[pad16(lid + 1u * WG)] = nk1;
    }
    gate_cumsum(st, L, k0, lid, k0 == 0u); // ends with a barrier
    if (k0 + KS < K) {
      nq0 = q_ld(st, k0 + KS, lid + 0u * WG);
      nk0 = k_ld(st, k0 + KS, lid + 0u * WG);
      nq1 = q_ld(st, k0 + KS, lid + 1u * WG);
      nk1 = k_ld(st, k0 + KS, lid + 1u * WG);
    }
    // q̂ = q̃ ⊙ exp(G), k̂ = k̃ ⊙ exp(G_last − G) and exp(G_last) of the slice, read by fwd_h, fwd_o, bwd_dh, bwd_dv
    for (var e = lid; e < BT * KS4; e += WG) {
      let j = e / KS4;
      let c4 = e % KS4;
      let c = k0 + 4u * c4;
      let gj = Gv4(j, c4);
      let qh = s_q[qk_ix(j, c4)] * exp(gj);
      let kh = s_k[qk_ix(j, c4)] * exp(Gv4(BT - 1u, c4) - gj);
      let o = (hat_base + j) * K + c;
      for (var q = 0u; q < 4u; q++) {
        if (c + q < K) {
          qhat[o + q] = qh[q];
          khat[o + q] = kh[q];
        }
      }
    }
    for (var c = lid; c < KS; c += WG) {
      if (k0 + c < K) { gdec[(wid.y * Z + z) * K + k0 + c] = exp(Gv(BT - 1u, c)); }
    }
    for (var c4 = 0u; c4 < KS4; c4++) {
      ad0 += attn_diag(s_q[qk_ix(dt0, c4)], s_k[qk_ix(ds0, c4)], Gv4(dt0, c4), Gv4(ds0, c4), ds0 <= dt0);
      ad1 += attn_diag(s_q[qk_ix(dt1, c4)], s_k[qk_ix(ds1, c4)], Gv4(dt1, c4), Gv4(ds1, c4), ds1 <= dt1);
    }
    if (ATTN_HAT) {
      workgroupBarrier();
      attn_hat(lid);
      workgroupBarrier();
    }
    for (var c4 = 0u; c4 < KS4; c4++) {
      {
        let ti = up0.x;
        let sj = up0.y;
        let mid = attn_mid(ti, sj + BC - 1u, c4);
        let k0v = s_k[qk_ix(sj, c4)];
        let k1v = s_k[qk_ix(sj + 1u, c4)];
        let k2v = s_k[qk_ix(sj + 2u, c4)];
        let k3v = s_k[qk_ix(sj + 3u, c4)];
        a0r0 += attn_tile_row(s_q[qk_ix(ti, c4)] * mid, k0v, k1v, k2v, k3v);
        a0r1 += attn_tile_row(s_q[qk_ix(ti + 1u, c4)] * mid, k0v, k1v, k2v, k3v);
        a0r2 += attn_tile_row(s_q[qk_ix(ti + 2u, c4)] * mid, k0v, k1v, k2v, k3v);
        a0r3 += attn_tile_row(s_q[qk_ix(ti + 3u, c4)] * mid, k0v, k1v, k2v, k3v);
      }
    }
    workgroupBarrier();
  }
  let base = (wid.y * Z + z) * BT * BT;
  if (lid + 0u * WG < ND) {
    attn[base + dt0 * BT + ds0] = select(0.0, attn_finish(dt0, ds0, ad0), ds0 <= dt0 && dt0 < L);
  }
  if (lid + 1u * WG < ND) {
    attn[base + dt1 * BT + ds1] = select(0.0, attn_finish(dt1, ds1, ad1), ds1 <= dt1 && dt1 < L);
  }
  if (lid + 0u * WG < NU) {
    attn_store_tile(base, up0.x, up0.y, L, a0r0, a0r1, a0r2, a0r3);
  }
}

// Stores the BC × BC tile at rows ti…, columns sj… (rows past L as zero) and zeroes its transpose.
fn attn_store_tile(base: u32, ti: u32, sj: u32, L: u32, r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>) {
  let rows = array<vec4<f32>, 4>(r0, r1, r2, r3);
  for (var r = 0u; r < BC; r++) {
    let t = ti + r;
    for (var q = 0u; q < BC; q++) {
      attn[base + t * BT + sj + q] = select(0.0, attn_finish(t, sj + q, rows[r][q]), t < L);
      attn[base + (sj + q) * BT + t] = 0.0;
    }
  }
}
