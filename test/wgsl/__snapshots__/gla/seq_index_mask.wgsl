// ssec WGSL kernel seq_index_mask_3b39abd351b4: stage seq_index of impl mask (plan stage seq_index).
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
const WG: u32 = 256u; // invocations per workgroup
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

@group(0) @binding(1) var<storage, read> cu_seqlens: array<u32>;
@group(0) @binding(2) var<storage, read_write> tables: array<u32>;

// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (BTHD).
fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }
// Linear index of a workgroup in a (possibly folded) 1-D grid.
fn wg_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }
// seg_info [nseg, 4]: first slot, length, first chunk, key; chunk_info [chunk_cap, 4]: segment, first slot, length, index in segment.
fn seg_info(seg: u32, f: u32) -> u32 { return tables[P.o_seg_info + seg * 4u + f]; }
fn chunk_info(row: u32, f: u32) -> u32 { return tables[P.o_chunk_info + row * 4u + f]; }
fn chunk_count() -> u32 { return tables[P.o_chunk_count]; }
fn seg_info_set(seg: u32, f: u32, x: u32) { tables[P.o_seg_info + seg * 4u + f] = x; }
fn chunk_info_set(row: u32, f: u32, x: u32) { tables[P.o_chunk_info + row * 4u + f] = x; }
fn chunk_count_set(x: u32) { tables[P.o_chunk_count] = x; }
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

// ---- segment hook (mask): segment s = sequence s; its slots are its tokens.
struct SegDesc { len: u32, first: u32, key: u32, routed: bool }
fn seg_desc(seg: u32) -> SegDesc {
  let bos = cu_seqlens[seg];
  return SegDesc(cu_seqlens[seg + 1u] - bos, bos, seg, false);
}

// ---- one workgroup: exclusive scans (256 segments at a time, carried across blocks) of chunk counts
// over all segments and of lengths over routed segments; writes seg_info, the chunk table and
// chunk_count. Everything stays on the device (no read-back).
var<workgroup> sc_c: array<u32, 256>;
var<workgroup> sc_s: array<u32, 256>;
var<workgroup> carry: array<u32, 2>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) {
    carry[0] = 0u;
    carry[1] = 0u;
  }
  workgroupBarrier();
  let nseg = P.nseg;
  for (var base = 0u; base < nseg; base += 256u) {
    let seg = base + lid;
    var d = SegDesc(0u, 0u, 0u, false);
    if (seg < nseg) { d = seg_desc(seg); }
    let nch = (d.len + BT - 1u) / BT;
    let rl = select(0u, d.len, d.routed);
    sc_c[lid] = nch;
    sc_s[lid] = rl;
    workgroupBarrier();
    for (var off = 1u; off < 256u; off <<= 1u) {
      var a = sc_c[lid];
      var b = sc_s[lid];
      if (lid >= off) {
        a += sc_c[lid - off];
        b += sc_s[lid - off];
      }
      workgroupBarrier();
      sc_c[lid] = a;
      sc_s[lid] = b;
      workgroupBarrier();
    }
    let c0 = carry[0] + sc_c[lid] - nch;
    let s0 = carry[1] + sc_s[lid] - rl;
    if (seg < nseg) {
      var first = d.first;
      if (d.routed) { first = P.shared_slots + s0; }
      seg_info_set(seg, 0u, first);
      seg_info_set(seg, 1u, d.len);
      seg_info_set(seg, 2u, c0);
      seg_info_set(seg, 3u, d.key);
      for (var c = 0u; c < nch; c++) {
        let row = c0 + c;
        chunk_info_set(row, 0u, seg);
        chunk_info_set(row, 1u, first + c * BT);
        chunk_info_set(row, 2u, min(BT, d.len - c * BT));
        chunk_info_set(row, 3u, c);
      }
    }
    workgroupBarrier();
    if (lid == 255u) {
      carry[0] += sc_c[255];
      carry[1] += sc_s[255];
    }
    workgroupBarrier();
  }
  if (lid == 0u) { chunk_count_set(carry[0]); }
}
