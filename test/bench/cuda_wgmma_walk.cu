// Probe of a forward state walk on Hopper's wgmma (sm_90a), outside the generated kernels: o = q^ h + A v per chunk and
// h <- e^{G_L} h + k^T v, at K = 256, a 64-wide V tile and chunk 64, the transposed state h^T in the accumulators of
// two warpgroups (one K half each; the two output parts summed through shared memory), the inputs as fwd_A saves
// them (q^, k^, A bf16, e^{G_L} f32) and v shared by the 5 virtual heads of a head, as in the mask impl at config A.
// Variants: SWZ 0/1 (no swizzle / 128-byte swizzle in shared memory), LD 0 (cp.async by all threads), LD 1 (TMA; the
// cluster of a stream's 4 V tiles multicasts q^ / k^, a cluster barrier per chunk), LD 2 (as LD 1 with the stages
// handed back by mbarriers, and h_j written by a TMA store). Every variant is checked against a naive f32 walk on
// awkward shapes (outputs poisoned with NaN first), then timed at config A's mask shape (120 streams, T = 4096).
// On a Hopper GPU host (docs/cuda.md, "What is left", item 4, has the results):
//   nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a test/bench/cuda_wgmma_walk.cu -o build/wgmma_walk
//   build/wgmma_walk [streams=120] [T=4096]
#include <cuda_bf16.h>
#include <cuda.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <algorithm>
#include <random>

typedef __nv_bfloat16 bf16;
constexpr int BT = 64, K = 256, V = 256, BV = 64, KH = K / 2, THREADS = 256;
constexpr int VHEADS = 5;  // virtual heads per head in the mask impl (shared + 4 routed): v is shared between them

// The generated kernels' wgmma wrappers and swizzle-layout descriptors (wg_desc, wg_off, wg_kdesc, wg_mndesc,
// wg_m64n64_rs / _ss, wg_m64n128_ss, wg_fence / wg_commit / wg_wait0, fence_proxy_async, smem_u32).
#include "../../targets/cuda/templates/wgmma.cuh.hbs"
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  unsigned d = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_wait0() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 x = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&x);
}
__device__ __forceinline__ unsigned movm_trans(unsigned x) {
  unsigned y;
  asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;\n" : "=r"(y) : "r"(x));
  return y;
}

__device__ __forceinline__ void mbar_init(uint64_t* b, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(b)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(uint64_t* b, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(b)), "r"(bytes) : "memory");
}
// Waits for the phase of parity `parity` of barrier b; CLUSTER: with cluster-scope acquire (arrivals from peer CTAs).
template <bool CLUSTER = false>
__device__ __forceinline__ void mbar_wait(uint64_t* b, int parity) {
  uint32_t done;
  do {
    if constexpr (CLUSTER)
      asm volatile("{\n.reg .pred P;\nmbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 P, [%1], %2;\nselp.u32 %0, 1, 0, P;\n}\n"
                   : "=r"(done) : "r"(smem_u32(b)), "r"(parity) : "memory");
    else
      asm volatile("{\n.reg .pred P;\nmbarrier.try_wait.parity.shared::cta.b64 P, [%1], %2;\nselp.u32 %0, 1, 0, P;\n}\n"
                   : "=r"(done) : "r"(smem_u32(b)), "r"(parity) : "memory");
  } while (!done);
}
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::: "memory");
}
__device__ __forceinline__ uint32_t cluster_rank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}
__device__ __forceinline__ void tma3(void* dst, const CUtensorMap* tm, int c0, int c1, int c2, uint64_t* bar) {
  asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n"
               ::"r"(smem_u32(dst)), "l"(tm), "r"(c0), "r"(c1), "r"(c2), "r"(smem_u32(bar)) : "memory");
}
__device__ __forceinline__ void tma3_mc(void* dst, const CUtensorMap* tm, int c0, int c1, int c2, uint64_t* bar, uint16_t mask) {
  asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster [%0], [%1, {%2, %3, %4}], [%5], %6;\n"
               ::"r"(smem_u32(dst)), "l"(tm), "r"(c0), "r"(c1), "r"(c2), "r"(smem_u32(bar)), "h"(mask) : "memory");
}
__device__ __forceinline__ void bulk1(void* dst, const void* src, uint32_t bytes, uint64_t* bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
               ::"r"(smem_u32(dst)), "l"(src), "r"(bytes), "r"(smem_u32(bar)) : "memory");
}
__device__ __forceinline__ void mbar_arrive_cluster(uint64_t* b, uint32_t cta) {  // arrive on CTA cta's barrier at b's offset
  asm volatile("{\n.reg .b32 ra;\nmapa.shared::cluster.u32 ra, %0, %1;\nmbarrier.arrive.release.cluster.shared::cluster.b64 _, [ra];\n}\n"
               ::"r"(smem_u32(b)), "r"(cta) : "memory");
}
__device__ __forceinline__ void tma_store2(const CUtensorMap* tm, const void* src, int c0, int c1) {
  asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%1, %2}], [%3];\n"
               ::"l"(tm), "r"(c0), "r"(c1), "r"(smem_u32(src)) : "memory");
}
__device__ __forceinline__ void bulk_commit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void bulk_wait_read0() { asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory"); }
__device__ __forceinline__ void bulk_wait0() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }
struct Maps { CUtensorMap q, k, v, A, h; };  // TMA maps (inner dim first): q^/k^ {K, T, S}, v {V, T, S/5}, A {BT, BT*chunks, S}, h {V, S*chunks*K}

// Tile layouts in shared memory of an R-row bf16 tile; piece (row r, 16-byte piece column c8):
//  SWZ 0 (no swizzle): byte (c8 R/8 + r/8) 128 + (r%8) 16: each 8 rows x 16 bytes core matrix is 128 contiguous bytes,
//        core matrices 128 bytes apart along the rows, 16 R along the columns.
//  SWZ 1 (128-byte swizzle): 64-column blocks of R rows x 128 bytes (block c8/8 at 128 R c8/8), row r at 128 r, its
//        piece c8%8 at position (c8%8) ^ (r%8) (the tile 1024-byte aligned).
template <int SWZ>
__device__ __forceinline__ uint32_t tile_off(int R, int r, int c8) {
  return SWZ == 0 ? (uint32_t)((c8 * (R / 8) + (r >> 3)) * 128 + (r & 7) * 16) : wg_off(R, r, c8);
}

__device__ __forceinline__ uint64_t sdesc(const void* p, uint32_t lbo, uint32_t sbo, int swz) {
  const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
  return (uint64_t)((a & 0x3FFFF) >> 4) | ((uint64_t)(lbo >> 4) << 16) | ((uint64_t)(sbo >> 4) << 32) | ((uint64_t)(swz ? 1 : 0) << 62);
}

// K-major operand (tile rows = M/N, columns = K) from row row0 and column k0 (elements).
template <int SWZ>
__device__ __forceinline__ uint64_t kdesc(const void* base, int R, int row0, int k0) {
  const char* p = reinterpret_cast<const char*>(base);
  if constexpr (SWZ == 0) return sdesc(p + (k0 / 8) * 16 * R + (row0 / 8) * 128, 16 * R, 128, 0);
  else return wg_kdesc(base, R, row0, k0);
}
// MN-major operand (tile rows = K, columns = M/N) from column mn0 (elements) and row krow0. No swizzle: LBO = K-direction
// stride, SBO = M/N-direction; 128-byte swizzle: LBO = stride of the 64-column blocks, SBO = of the 8-row groups (the
// check below passes with these on an H100).
template <int SWZ>
__device__ __forceinline__ uint64_t mndesc(const void* base, int R, int mn0, int krow0) {
  const char* p = reinterpret_cast<const char*>(base);
  if constexpr (SWZ == 0) return sdesc(p + (mn0 / 8) * 16 * R + (krow0 / 8) * 128, 128, 16 * R, 0);
  else return wg_mndesc(base, R, mn0, krow0);
}

// Copies an R x C bf16 tile (row stride lds elements) into layout SWZ. SWZ 0: lanes take 8 rows x 4 piece columns (a
// warp reads 8 rows x 64 contiguous bytes, writes 4 whole core matrices); SWZ 1: 4 rows x 8 pieces (128-byte rows).
template <int SWZ, int R, int C>
__device__ __forceinline__ void fill_tile(bf16* dst, const bf16* src, int lds, int rows_valid) {
  constexpr int C8 = C / 8, NP = R * C8;
  static_assert(C8 % 8 == 0 && R % 8 == 0, "tile");
  for (int e = threadIdx.x; e < NP; e += THREADS) {
    int r, c8;
    if constexpr (SWZ == 0) {
      const int rlo = e & 7, clo = (e >> 3) & 3, rest = e >> 5;
      r = (rest % (R / 8)) * 8 + rlo;
      c8 = (rest / (R / 8)) * 4 + clo;
    } else {
      const int clo = e & 7, rest = e >> 3;
      r = rest % R;
      c8 = (rest / R) * 8 + clo;
    }
    const bool ok = r < rows_valid;
    cp_async16(reinterpret_cast<char*>(dst) + tile_off<SWZ>(R, r, c8), src + (size_t)(ok ? r : 0) * lds + c8 * 8, ok);
  }
}

struct Args {
  const bf16 *qh, *kh, *v, *A;  // q^, k^ [S][T][K]; v [S/VHEADS][T][V]; A [S][chunks][BT][BT] (causal)
  const float* gdec;            // [S][chunks][K]
  float* o;                     // [S][T][V] f32 (reader rows only)
  bf16* h;                      // [S][chunks][K][V] chunk-start states (store_h)
  int T, S, store_h;
  int mode;  // timing probes: 1 no fills after chunk 0, 4 no output epilogue
};

__device__ __forceinline__ bool reader(int s, int tok) {
  const int p = s % VHEADS;
  if (p == 0) return true;
  return (((unsigned)tok * 2654435761u) >> 16) % 4 == (unsigned)(p - 1);
}

constexpr int SQ = BT * K * 2, SK = BT * K * 2, SV = BT * BV * 2, SA = BT * BT * 2, SG = K * 4;
constexpr int STAGE = SQ + SK + SV + SA + SG;
constexpr int LDO = BV + 4;
constexpr int SMEM = 2 * STAGE + BT * LDO * 4 + 16 + 1024;  // + two mbarriers, + room to align the stages to 1024 bytes

// One chunk's products of this warpgroup (K half g), waited for: h^T rounded into hb (the register A operand), then
// h^T scaled by e^{G_L}; o^T = h^T q^T over the half's keys (B = q^ K-major) + v^T A^T over token half g (A = v M-major,
// B = A K-major; the two parts are summed later); h^T += v^T k^ over the chunk (B = k^ N-major, the half's keys).
template <int SWZ>
__device__ __forceinline__ void chunk_products(float (&hT)[64], float (&oT)[32], uint32_t (&hb)[32], const bf16* sq,
                                               const bf16* sk, const bf16* sv, const bf16* sa, const float* sg, int g, int lane) {
#pragma unroll
  for (int q = 0; q < 8; q++) {
    hb[4 * q + 0] = pack_bf16(hT[8 * q + 0], hT[8 * q + 1]);
    hb[4 * q + 1] = pack_bf16(hT[8 * q + 2], hT[8 * q + 3]);
    hb[4 * q + 2] = pack_bf16(hT[8 * q + 4], hT[8 * q + 5]);
    hb[4 * q + 3] = pack_bf16(hT[8 * q + 6], hT[8 * q + 7]);
  }
#pragma unroll
  for (int i = 0; i < 16; i++) {
    const float2 gl = *reinterpret_cast<const float2*>(sg + g * KH + 8 * i + 2 * (lane & 3));
    hT[4 * i + 0] *= gl.x;
    hT[4 * i + 1] *= gl.y;
    hT[4 * i + 2] *= gl.x;
    hT[4 * i + 3] *= gl.y;
  }
  wg_fence();
#pragma unroll
  for (int q = 0; q < 8; q++)
  {
    const unsigned a[4] = {hb[4 * q], hb[4 * q + 1], hb[4 * q + 2], hb[4 * q + 3]};
    wg_m64n64_rs(oT, a, kdesc<SWZ>(sq, BT, 0, g * KH + 16 * q), q > 0);
  }
#pragma unroll
  for (int uu = 0; uu < 2; uu++) {
    const int u = 2 * g + uu;
    wg_m64n64_ss(oT, mndesc<SWZ>(sv, BT, 0, 16 * u), kdesc<SWZ>(sa, BT, 0, 16 * u));
  }
#pragma unroll
  for (int u = 0; u < 4; u++)
    wg_m64n128_ss(hT, mndesc<SWZ>(sv, BT, 0, 16 * u), mndesc<SWZ>(sk, BT, g * KH, 16 * u));
  wg_commit();
  wg_wait0();
}

// The output of a chunk from the two K halves' parts: each half puts the other half's token tiles of its part into so
// (selects on g, no branch) ...
__device__ __forceinline__ void put_parts(const float (&oT)[32], float* so, int g, int wq, int lane) {
#pragma unroll
  for (int ii = 0; ii < 4; ii++)
#pragma unroll
    for (int r = 0; r < 4; r++) {
      const int io = g ? ii : ii + 4;
      so[(8 * io + 2 * (lane & 3) + (r & 1)) * LDO + 16 * wq + (lane >> 2) + 8 * (r >> 1)] = g ? oT[4 * ii + r] : oT[4 * (ii + 4) + r];
    }
}
// ... and, after a barrier, adds the other's part to its own tiles and stores the reader rows of chunk j.
__device__ __forceinline__ void store_parts(const float (&oT)[32], const float* so, int g, int wq, int lane, const Args& a, int s,
                                            int j, int v0) {
#pragma unroll
  for (int ii = 0; ii < 4; ii++)
#pragma unroll
    for (int r = 0; r < 4; r++) {
      const int i = g ? ii + 4 : ii;
      const int t = 8 * i + 2 * (lane & 3) + (r & 1), vv = 16 * wq + (lane >> 2) + 8 * (r >> 1), tok = j * BT + t;
      const float x = (g ? oT[4 * (ii + 4) + r] : oT[4 * ii + r]) + so[t * LDO + vv];
      if (tok < a.T && reader(s, tok)) a.o[((size_t)s * a.T + tok) * V + v0 + vv] = x;
    }
}
// h_j (chunk start, bf16) as rows of h: 8x8 blocks of hb transposed; f(key, tile-relative v, pair of v values).
template <class F>
__device__ __forceinline__ void h_pairs(const uint32_t (&hb)[32], int g, int wq, int lane, F&& f) {
#pragma unroll
  for (int q = 0; q < 8; q++)
#pragma unroll
    for (int x = 0; x < 4; x++)  // x: (n8 block 2q + x/2, row half x%2)
      f(g * KH + 16 * q + 8 * (x >> 1) + (lane >> 2), 16 * wq + 8 * (x & 1) + 2 * (lane & 3), movm_trans(hb[4 * q + x]));
}

// The two stage buffers at the start of the dynamic shared memory (moved up to a 1024-byte boundary, which the
// 128-byte swizzle needs): q^, k^, v, A tiles and e^{G_L} of one chunk each.
struct Stages {
  unsigned char* sm;
  __device__ explicit Stages(unsigned char* raw) : sm(raw + ((1024 - (smem_u32(raw) & 1023)) & 1023)) {}
  __device__ bf16* q(int b) const { return reinterpret_cast<bf16*>(sm + b * STAGE); }
  __device__ bf16* k(int b) const { return reinterpret_cast<bf16*>(sm + b * STAGE + SQ); }
  __device__ bf16* v(int b) const { return reinterpret_cast<bf16*>(sm + b * STAGE + SQ + SK); }
  __device__ bf16* A(int b) const { return reinterpret_cast<bf16*>(sm + b * STAGE + SQ + SK + SV); }
  __device__ float* g(int b) const { return reinterpret_cast<float*>(sm + b * STAGE + SQ + SK + SV + SA); }
  __device__ unsigned char* after() const { return sm + 2 * STAGE; }
};

// TMA, one thread: chunk j of stream s into stage b, completing on full: this CTA's quarter (rank) of q^ / k^ to the 4
// CTAs of the cluster (the stream's V tiles), its own v tile, A and e^{G_L}.
__device__ __forceinline__ void issue_stage(const Stages& st, int b, uint64_t* full, const Maps& mp, const Args& a, int j, int s,
                                            int v0, uint32_t rank) {
  const int nch = (a.T + BT - 1) / BT;
  mbar_expect_tx(full, STAGE);
  tma3_mc(reinterpret_cast<char*>(st.q(b)) + rank * BT * 128, &mp.q, 64 * rank, j * BT, s, full, 0xF);
  tma3_mc(reinterpret_cast<char*>(st.k(b)) + rank * BT * 128, &mp.k, 64 * rank, j * BT, s, full, 0xF);
  tma3(st.v(b), &mp.v, v0, j * BT, s / VHEADS, full);
  tma3(st.A(b), &mp.A, 0, j * BT, s, full);
  bulk1(st.g(b), a.gdec + ((size_t)s * nch + j) * K, K * 4, full);
}

template <int SWZ, int LD>
__global__ void __launch_bounds__(THREADS, 1) walk_wg(Args a, const __grid_constant__ Maps mp) {
  static_assert(LD == 0 || SWZ == 1, "TMA lands the 128-byte swizzle");
  extern __shared__ __align__(128) unsigned char sm_raw[];
  const Stages st(sm_raw);
  const int tid = threadIdx.x, g = tid >> 7, wq = (tid >> 5) & 3, lane = tid & 31;
  const int v0 = blockIdx.x * BV, s = blockIdx.y, T = a.T, nch = (T + BT - 1) / BT;
  float* so = reinterpret_cast<float*>(st.after());
  uint64_t* full = reinterpret_cast<uint64_t*>(st.after() + BT * LDO * 4);  // LD 1: one mbarrier per stage
  const uint32_t rank = LD ? cluster_rank() : 0;
  auto issue = [&](int j, int b) { issue_stage(st, b, &full[b], mp, a, j, s, v0, rank); };
  auto fill = [&](int j, int b) {
    const int t0 = j * BT, rv = min(BT, T - t0);
    fill_tile<SWZ, BT, K>(st.q(b), a.qh + ((size_t)s * T + t0) * K, K, rv);
    fill_tile<SWZ, BT, K>(st.k(b), a.kh + ((size_t)s * T + t0) * K, K, rv);
    fill_tile<SWZ, BT, BV>(st.v(b), a.v + ((size_t)(s / VHEADS) * T + t0) * V + v0, V, rv);
    fill_tile<SWZ, BT, BT>(st.A(b), a.A + ((size_t)s * nch + j) * BT * BT, BT, BT);
    for (int e = tid; e < K / 4; e += THREADS) cp_async16(st.g(b) + 4 * e, a.gdec + ((size_t)s * nch + j) * K + 4 * e, true);
  };
  // h^T: rows v0 + 16 wq + lane/4 (+8 for r >= 2), keys g KH + 8i + 2(lane%4) (+1) for accumulator 4i + r
  float hT[64];
#pragma unroll
  for (int i = 0; i < 64; i++) hT[i] = 0.f;
  float oT[32];  // o^T part: rows as h^T, tokens 8i + 2(lane%4) (+1)
  uint32_t hb[32];
  auto body = [&](int j) {
    const int b = j & 1;
    if constexpr (LD == 0) {
      cp_wait0();
      fence_proxy_async();
      __syncthreads();
      if (j + 1 < nch && !(a.mode & 1)) fill(j + 1, b ^ 1);
      cp_commit();
    } else {
      cluster_sync();  // every CTA of the cluster is past chunk j - 1: stage b ^ 1 is free in all four
      if (tid == 0 && j + 1 < nch && !(a.mode & 1)) issue(j + 1, b ^ 1);
      if (!(a.mode & 1) || j == 0) mbar_wait(&full[b], (j >> 1) & 1);
    }
    chunk_products<SWZ>(hT, oT, hb, st.q(b), st.k(b), st.v(b), st.A(b), st.g(b), g, lane);
    if (a.store_h) {
      bf16* hout = a.h + ((size_t)s * nch + j) * K * V + v0;
      h_pairs(hb, g, wq, lane, [&](int kk, int vv, unsigned t) { *reinterpret_cast<unsigned*>(hout + (size_t)kk * V + vv) = t; });
    }
    if (!(a.mode & 4)) {
      put_parts(oT, so, g, wq, lane);
      __syncthreads();
      store_parts(oT, so, g, wq, lane, a, s, j, v0);
    }
  };
  if constexpr (LD == 0) {
    if (nch > 0) fill(0, 0);
    cp_commit();
  } else {
    if (tid == 0) {
      mbar_init(&full[0], 1);
      mbar_init(&full[1], 1);
      asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    cluster_sync();
    if (tid == 0 && nch > 0) issue(0, 0);
  }
  for (int j = 0; j < nch; j++) body(j);
  if constexpr (LD == 1) cluster_sync();
}


// LD 2: TMA as LD 1, but a stage is handed back per stage (each CTA arrives on the four CTAs' `empty` barrier once its
// products of the stage are done) instead of a cluster barrier per chunk; h_j staged in shared memory (128-byte swizzle)
// and written by a TMA store while the next chunk computes.
constexpr int SH = K * BV * 2;  // h_j staging tile
constexpr int SMEM2 = 2 * STAGE + BT * LDO * 4 + SH + 32 + 1024;
__global__ void __launch_bounds__(THREADS, 1) walk_tma2(Args a, const __grid_constant__ Maps mp) {
  extern __shared__ __align__(128) unsigned char sm_raw[];
  const Stages st(sm_raw);
  const int tid = threadIdx.x, g = tid >> 7, wq = (tid >> 5) & 3, lane = tid & 31;
  const int v0 = blockIdx.x * BV, s = blockIdx.y, T = a.T, nch = (T + BT - 1) / BT;
  unsigned char* shs = st.after();  // h_j staging [K][BV] bf16, 128-byte swizzle
  float* so = reinterpret_cast<float*>(st.after() + SH);
  uint64_t* full = reinterpret_cast<uint64_t*>(st.after() + SH + BT * LDO * 4);
  uint64_t* empty = full + 2;
  const uint32_t rank = cluster_rank();
  auto issue = [&](int j, int b) { issue_stage(st, b, &full[b], mp, a, j, s, v0, rank); };
  if (tid == 0) {
    mbar_init(&full[0], 1);
    mbar_init(&full[1], 1);
    mbar_init(&empty[0], 4);
    mbar_init(&empty[1], 4);
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  cluster_sync();
  if (tid == 0 && nch > 0) issue(0, 0);
  if (tid == 0 && nch > 1) issue(1, 1);
  float hT[64];
#pragma unroll
  for (int i = 0; i < 64; i++) hT[i] = 0.f;
  float oT[32];
  uint32_t hb[32];
  for (int j = 0; j < nch; j++) {
    const int b = j & 1;
    __syncthreads();  // the previous chunk's output tile and h staging are complete
    if (tid == 0) {
      if (a.store_h && j > 0) {  // h_{j-1} from the staging tile
        fence_proxy_async();
        tma_store2(&mp.h, shs, v0, (s * nch + j - 1) * K);
        bulk_commit();
      }
      if (j + 1 < nch && j >= 1) {  // chunk j + 1 into stage b ^ 1 once all four CTAs are done with chunk j - 1
        mbar_wait<true>(&empty[b ^ 1], ((j - 1) >> 1) & 1);
        issue(j + 1, b ^ 1);
      }
    }
    mbar_wait(&full[b], (j >> 1) & 1);
    chunk_products<1>(hT, oT, hb, st.q(b), st.k(b), st.v(b), st.A(b), st.g(b), g, lane);
    if (tid == 0 && a.store_h) bulk_wait_read0();  // h_{j-1}'s store has read the staging tile
    put_parts(oT, so, g, wq, lane);
    __syncthreads();  // every thread's products of stage b are done; the staging tile is free
    if (tid < 4) mbar_arrive_cluster(&empty[b], tid);  // hand stage b back to the four CTAs' producers
    if (a.store_h) {  // h_j rows into the staging tile: row k at 128 k, 16-byte piece c at (c ^ k%8)
      h_pairs(hb, g, wq, lane, [&](int kk, int vv, unsigned t) {
        *reinterpret_cast<unsigned*>(shs + kk * 128 + (((vv >> 3) ^ (kk & 7)) << 4) + (vv & 7) * 2) = t;
      });
      fence_proxy_async();  // each writer, before the barrier after which the TMA store reads the tile
    }
    store_parts(oT, so, g, wq, lane, a, s, j, v0);
  }
  __syncthreads();
  if (tid == 0 && a.store_h && nch > 0) {
    fence_proxy_async();
    tma_store2(&mp.h, shs, v0, (s * nch + nch - 1) * K);
    bulk_commit();
    bulk_wait0();
  }
  cluster_sync();  // no CTA leaves while a peer may still arrive on its barriers
}

// Naive reference: one block per (V tile, stream), the state in shared memory, f32.
__global__ void walk_ref(Args a, float* hs) {
  const int v0 = blockIdx.x * BV, s = blockIdx.y, T = a.T, nch = (T + BT - 1) / BT;
  float* h = hs + ((size_t)s * (V / BV) + blockIdx.x) * K * BV;  // [K][BV]
  for (int e = threadIdx.x; e < K * BV; e += blockDim.x) h[e] = 0.f;
  __syncthreads();
  for (int j = 0; j < nch; j++) {
    const int t0 = j * BT, L = min(BT, T - t0);
    if (a.store_h)
      for (int e = threadIdx.x; e < K * BV; e += blockDim.x)
        a.h[((size_t)s * nch + j) * K * V + (size_t)(e / BV) * V + v0 + e % BV] = __float2bfloat16_rn(h[e]);
    for (int e = threadIdx.x; e < L * BV; e += blockDim.x) {
      const int t = e / BV, c = e % BV, tok = t0 + t;
      float acc = 0.f;
      for (int k = 0; k < K; k++) acc += __bfloat162float(a.qh[((size_t)s * T + tok) * K + k]) * h[k * BV + c];
      for (int u = 0; u <= t; u++)
        acc += __bfloat162float(a.A[(((size_t)s * nch + j) * BT + t) * BT + u]) *
               __bfloat162float(a.v[((size_t)(s / VHEADS) * T + t0 + u) * V + v0 + c]);
      if (reader(s, tok)) a.o[((size_t)s * T + tok) * V + v0 + c] = acc;
    }
    __syncthreads();
    for (int e = threadIdx.x; e < K * BV; e += blockDim.x) {
      const int k = e / BV, c = e % BV;
      float acc = a.gdec[((size_t)s * nch + j) * K + k] * h[e];
      for (int t = 0; t < L; t++)
        acc += __bfloat162float(a.kh[((size_t)s * T + t0 + t) * K + k]) * __bfloat162float(a.v[((size_t)(s / VHEADS) * T + t0 + t) * V + v0 + c]);
      h[e] = acc;
    }
    __syncthreads();
  }
}

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); exit(1); } } while (0)

struct Bufs {
  int S, T, nch;
  Maps maps;
  bf16 *qh, *kh, *v, *A, *h;
  float *gdec, *o;
};

// A TMA map of a contiguous bf16 tensor (dims and box innermost first), 128-byte swizzle. The driver's encoder is
// fetched through the runtime, so the probe does not link against libcuda.
static CUtensorMap tensor_map(const void* p, int rank, const cuuint64_t* dims, const cuuint32_t* box) {
  typedef CUresult (*Encode)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*, const cuuint64_t*,
                             const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave, CUtensorMapSwizzle,
                             CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
  static Encode enc = nullptr;
  if (!enc) {
    cudaDriverEntryPointQueryResult q;
    CK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", reinterpret_cast<void**>(&enc), 12000, cudaEnableDefault, &q));
    if (q != cudaDriverEntryPointSuccess || !enc) { printf("no cuTensorMapEncodeTiled\n"); exit(1); }
  }
  cuuint64_t strides[2], st = 2;  // bytes, of dims 1 .. rank - 1
  for (int i = 0; i + 1 < rank; i++) strides[i] = st *= dims[i];
  const cuuint32_t es[3] = {1, 1, 1};
  CUtensorMap m;
  const CUresult r = enc(&m, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, rank, const_cast<void*>(p), dims, strides, box, es, CU_TENSOR_MAP_INTERLEAVE_NONE,
                         CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) { printf("cuTensorMapEncodeTiled failed: %d\n", (int)r); exit(1); }
  return m;
}

static Bufs make(int S, int T, unsigned seed) {
  Bufs b{S, T, (T + BT - 1) / BT};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(-1.f, 1.f), G(0.93f, 1.f);
  auto upload = [&](size_t n, float scale, bool tri, bf16** dst) {
    std::vector<bf16> hst(n);
    for (size_t i = 0; i < n; i++) {
      float x = U(rng) * scale;
      if (tri) { size_t r = (i / BT) % BT, c = i % BT; if (c > r) x = 0.f; }
      hst[i] = __float2bfloat16_rn(x);
    }
    CK(cudaMalloc(dst, n * 2));
    CK(cudaMemcpy(*dst, hst.data(), n * 2, cudaMemcpyHostToDevice));
  };
  upload((size_t)S * T * K, 0.25f, false, &b.qh);
  upload((size_t)S * T * K, 0.25f, false, &b.kh);
  upload((size_t)((S + VHEADS - 1) / VHEADS) * T * V, 1.f, false, &b.v);
  upload((size_t)S * b.nch * BT * BT, 0.2f, true, &b.A);
  std::vector<float> gd((size_t)S * b.nch * K);
  for (auto& x : gd) x = G(rng);
  CK(cudaMalloc(&b.gdec, gd.size() * 4));
  CK(cudaMemcpy(b.gdec, gd.data(), gd.size() * 4, cudaMemcpyHostToDevice));
  CK(cudaMalloc(&b.o, (size_t)S * T * V * 4));
  CK(cudaMalloc(&b.h, (size_t)S * b.nch * K * V * 2));
  const cuuint32_t tile[3] = {64, 64, 1}, hbox[2] = {64, (cuuint32_t)K};
  const cuuint64_t dq[3] = {K, (cuuint64_t)T, (cuuint64_t)S}, dv[3] = {V, (cuuint64_t)T, (cuuint64_t)(S + VHEADS - 1) / VHEADS},
                   dA[3] = {BT, (cuuint64_t)b.nch * BT, (cuuint64_t)S}, dh[2] = {V, (cuuint64_t)S * b.nch * K};
  b.maps.q = tensor_map(b.qh, 3, dq, tile);
  b.maps.k = tensor_map(b.kh, 3, dq, tile);
  b.maps.v = tensor_map(b.v, 3, dv, tile);
  b.maps.A = tensor_map(b.A, 3, dA, tile);
  b.maps.h = tensor_map(b.h, 2, dh, hbox);
  return b;
}

static Args args(const Bufs& b, float* o, bf16* h, int store_h) { return Args{b.qh, b.kh, b.v, b.A, b.gdec, o, h, b.T, b.S, store_h, 0}; }

template <int SWZ, int LD>
static void launch(const Args& a, const Maps& m, cudaStream_t st = 0) {
  static bool init = false;
  void (*fn)(Args, Maps) = nullptr;
  if constexpr (LD == 2) fn = walk_tma2;
  else fn = walk_wg<SWZ, LD>;
  const int smem = LD == 2 ? SMEM2 : SMEM;
  if (!init) { CK(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, smem)); init = true; }
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(V / BV, a.S);
  cfg.blockDim = dim3(THREADS);
  cfg.dynamicSmemBytes = smem;
  cfg.stream = st;
  cudaLaunchAttribute at[1];
  at[0].id = cudaLaunchAttributeClusterDimension;
  at[0].val.clusterDim.x = LD ? 4 : 1;
  at[0].val.clusterDim.y = 1;
  at[0].val.clusterDim.z = 1;
  cfg.attrs = at;
  cfg.numAttrs = 1;
  CK(cudaLaunchKernelEx(&cfg, fn, a, m));
}

static double rel_rms(const float* x, const float* r, size_t n, size_t* nan) {
  double num = 0, den = 0;
  *nan = 0;
  for (size_t i = 0; i < n; i++) {
    if (std::isnan(r[i])) continue;  // rows the reference does not write (non-reader rows)
    if (std::isnan(x[i])) { (*nan)++; continue; }
    num += (x[i] - r[i]) * (double)(x[i] - r[i]);
    den += (double)r[i] * r[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

template <int SWZ, int LD>
static bool check(int S, int T) {
  Bufs b = make(S, T, 1234 + T);
  const size_t no = (size_t)S * T * V, nh = (size_t)S * b.nch * K * V;
  float *oref, *hs;
  bf16* href;
  CK(cudaMalloc(&oref, no * 4));
  CK(cudaMalloc(&href, nh * 2));
  CK(cudaMalloc(&hs, (size_t)S * (V / BV) * K * BV * 4));
  CK(cudaMemset(oref, 0xff, no * 4));  // NaN where not written
  CK(cudaMemset(b.o, 0xff, no * 4));
  CK(cudaMemset(b.h, 0xff, nh * 2));
  walk_ref<<<dim3(V / BV, S), 256>>>(args(b, oref, href, 1), hs);
  CK(cudaGetLastError());
  launch<SWZ, LD>(args(b, b.o, b.h, 1), b.maps);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  std::vector<float> o(no), orf(no), h(nh), hr(nh);
  std::vector<bf16> hb(nh), hrb(nh);
  CK(cudaMemcpy(o.data(), b.o, no * 4, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(orf.data(), oref, no * 4, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hb.data(), b.h, nh * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hrb.data(), href, nh * 2, cudaMemcpyDeviceToHost));
  for (size_t i = 0; i < nh; i++) { h[i] = __bfloat162float(hb[i]); hr[i] = __bfloat162float(hrb[i]); }
  size_t nan_o, nan_h;
  const double eo = rel_rms(o.data(), orf.data(), no, &nan_o), eh = rel_rms(h.data(), hr.data(), nh, &nan_h);
  const bool ok = eo < 1e-2 && eh < 1e-2 && nan_o == 0 && nan_h == 0;
  printf("check SWZ=%d LD=%d S=%d T=%d: o rel %.3e (unwritten %zu), h rel %.3e (unwritten %zu) %s\n", SWZ, LD, S, T, eo, nan_o, eh, nan_h, ok ? "PASS" : "FAIL");
  cudaFree(oref); cudaFree(href); cudaFree(hs);
  cudaFree(b.qh); cudaFree(b.kh); cudaFree(b.v); cudaFree(b.A); cudaFree(b.gdec); cudaFree(b.o); cudaFree(b.h);
  return ok;
}

template <int SWZ, int LD>
static void timeit(int S, int T, int reps) {
  Bufs b = make(S, T, 7);
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  const int modes[][2] = {{0, 0}, {1, 0}, {0, 1}, {0, 4}, {0, 5}};
  const int nmodes = LD == 2 ? 2 : 5;  // walk_tma2 has no timing probes
  for (int mi = 0; mi < nmodes; mi++) {
    const int* md = modes[mi];
    const int store = md[0];
    std::vector<float> ms;
    Args ar = args(b, b.o, b.h, store);
    ar.mode = md[1];
    for (int r = 0; r < reps + 3; r++) {
      cudaEventRecord(e0);
      launch<SWZ, LD>(ar, b.maps);
      cudaEventRecord(e1);
      CK(cudaEventSynchronize(e1));
      float t;
      cudaEventElapsedTime(&t, e0, e1);
      if (r >= 3) ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    printf("time SWZ=%d LD=%d S=%d T=%d store_h=%d mode=%d: median %.3f ms (min %.3f, max %.3f, %d reps)\n", SWZ, LD, S, T, store, md[1], ms[ms.size() / 2], ms[0], ms.back(), reps);
  }
}

int main(int argc, char** argv) {
  int dev;
  cudaDeviceProp pr;
  CK(cudaGetDevice(&dev));
  CK(cudaGetDeviceProperties(&pr, dev));
  printf("device %s, %d SMs, smem per block opt-in %zu, probe smem %d\n", pr.name, pr.multiProcessorCount, pr.sharedMemPerBlockOptin, SMEM);
  // every variant against the naive walk on awkward shapes (T not a multiple of the chunk, T = 1, one chunk), then timed;
  // LD 2 last (its stage hand-back and h store are the newest code)
  bool ok = true;
  const int shapes[][2] = {{10, 300}, {5, 1}, {7, 64}, {12, 1000}};
  for (auto& sh : shapes) {
    ok &= check<0, 0>(sh[0], sh[1]);
    ok &= check<1, 0>(sh[0], sh[1]);
    ok &= check<1, 1>(sh[0], sh[1]);
  }
  const int S = argc > 1 ? atoi(argv[1]) : 120, T = argc > 2 ? atoi(argv[2]) : 4096;
  timeit<1, 1>(S, T, 20);
  timeit<1, 0>(S, T, 20);
  timeit<0, 0>(S, T, 20);
  for (auto& sh : shapes) ok &= check<1, 2>(sh[0], sh[1]);
  timeit<1, 2>(S, T, 20);
  printf("%s\n", ok ? "ALL PASS" : "SOME FAIL");
  return ok ? 0 : 1;
}
