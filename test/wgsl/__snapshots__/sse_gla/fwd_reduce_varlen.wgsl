// ssec WGSL kernel fwd_reduce_varlen_cb98e6a9e93d: stage fwd_reduce of impl varlen (plan stage fwd_reduce).
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
const WG: u32 = 64u; // invocations per workgroup
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

@group(0) @binding(1) var<storage, read> o_slot: array<f32>;
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
fn ld_o(tok: u32, h: u32, c: u32) -> f32 { return o[tok_row(tok, h) * V + c]; }
fn st_o(tok: u32, h: u32, c: u32, x: f32) { o[tok_row(tok, h) * V + c] = x; }
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

// ---- varlen: o[tok, h] = shared slot + routed reader slots in ascending partition order
// (a fixed order: the same bits on every run).
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tok = wg_index(wid, nwg);
  if (tok >= P.ntok) { return; }
  for (var e = lid; e < H * V; e += 64u) {
    let h = e / V;
    let c = e % V;
    var acc = 0.0;
    for (var p = 0u; p < NP; p++) {
      let row = stream_row(p, tok, h);
      if (row == NONE || stream_w(p, tok, h).y == 0.0) { continue; }
      acc += o_slot[row * V + c];
    }
    st_o(tok, h, c, acc);
  }
}
