// ssec WGSL kernel bwd_route_mask_d6d0dcef32a2: stage bwd_route of impl mask (plan stage bwd_reduce).
// Generated file: do not edit.

const H: u32 = 8u; // heads
const K: u32 = 128u; // key dim
const V: u32 = 64u; // value dim
const N: u32 = 6u; // routed partitions
const NP: u32 = 7u; // state partitions (shared + routed)
const R: u32 = 1u; // router rows per token (1 per_token, H per_head)
const HS: u32 = 8u; // heads per varlen segment
const Z: u32 = 56u; // stream heads per chunk row
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
const WG: u32 = 64u; // invocations per workgroup
const KW: u32 = 2u; // writers per token
const KR: u32 = 1u; // readers per token
const SHARED: u32 = 1u; // shared partition on
const OWN: bool = false; // routed partitions read qr/kr/gr
const PER_HEAD: bool = false; // per_head router logits
const SCALE_K: bool = true; // write weight = probability
const SCALE_Q: bool = true; // read weight = probability
const HAS_H0: bool = true; // initial state input
const HAS_HT: bool = true; // final state output
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
  o_dgk: u32, // element offset of dg_tile in dg_part
  _pad0: u32,
}
@group(0) @binding(0) var<uniform> P: Params;

@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> tables: array<u32>;
@group(0) @binding(4) var<storage, read> dqk_part: array<f32>;
@group(0) @binding(5) var<storage, read_write> de: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_q(tok: u32, h: u32, c: u32) -> f32 { return q[tok_row(tok, h) * K + c]; }
fn ld_k(tok: u32, h: u32, c: u32) -> f32 { return k[tok_row(tok, h) * K + c]; }
fn st_de(tok: u32, r: u32, i: u32, x: f32) { de[tok * N + i] = x; }
fn ld_qs(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_q(tok, h, c); }
fn ld_ks(routed: bool, tok: u32, h: u32, c: u32) -> f32 { return ld_k(tok, h, c); }
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

// ---- per token: router backward. For each router row r and routed partition i
//   dp_i = [scale_k ∧ writer] Σ k·dk̃_i + [scale_q ∧ reader] Σ q·dq̃_i   (summed over the heads of row r)
//   de_i = p_i (dp_i − Σ_j p_j dp_j).  Tree reductions in a fixed order (deterministic).
var<workgroup> s_ra: array<f32, 64>;
var<workgroup> s_rb: array<f32, 64>;
var<workgroup> s_dp: array<f32, R * N>;
const HG: u32 = H / R; // heads per router row

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tok = wg_index(wid, nwg);
  if (tok >= P.ntok) { return; }
  for (var r = 0u; r < R; r++) {
    for (var i = 0u; i < N; i++) {
      let p = SHARED + i;
      var da = 0.0;
      var db = 0.0;
      for (var e = lid; e < HG * K; e += 64u) {
        let h = r * HG + e / K;
        let c = e % K;
        let row = stream_row(p, tok, h);
        if (row == NONE) { continue; }
        da += ld_ks(true, tok, h, c) * dqk_part[P.o_dk + row * K + c];
        db += ld_qs(true, tok, h, c) * dqk_part[P.o_dq + row * K + c];
      }
      s_ra[lid] = da;
      s_rb[lid] = db;
      workgroupBarrier();
      for (var off = 32u; off > 0u; off >>= 1u) {
        if (lid < off) {
          s_ra[lid] += s_ra[lid + off];
          s_rb[lid] += s_rb[lid + off];
        }
        workgroupBarrier();
      }
      if (lid == 0u) {
        let sel = rt_sel(route_off(tok, r, i));
        var dp = 0.0;
        if (SCALE_K && (sel & 1u) != 0u) { dp += s_ra[0]; }
        if (SCALE_Q && (sel & 2u) != 0u) { dp += s_rb[0]; }
        s_dp[r * N + i] = dp;
      }
      workgroupBarrier();
    }
  }
  for (var r = lid; r < R; r += 64u) {
    var sum = 0.0;
    for (var i = 0u; i < N; i++) { sum += rt_p(route_off(tok, r, i)) * s_dp[r * N + i]; }
    for (var i = 0u; i < N; i++) {
      let pi = rt_p(route_off(tok, r, i));
      st_de(tok, r, i, pi * (s_dp[r * N + i] - sum));
    }
  }
}
