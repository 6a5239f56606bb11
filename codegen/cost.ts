/**
 * FLOPs, bytes and the roofline floor of each impl: the target a backend aims at.
 *
 * FLOPs count the chunked algorithm's matrix products (2 per multiply-add), full C×C intra-chunk
 * tiles as the kernels compute them. Bytes count every input read once and every output written
 * once (the fewest a kernel can move). Floor = max(FLOPs / matmul rate, bytes / bandwidth).
 */
import type { Impl, KernelSpec } from '../dsl/kernel-spec.js';
import { partitionCount } from '../dsl/kernel-spec.js';
import {
  type ProblemShape,
  backwardCotangents,
  elementCount,
  forwardInputs,
  forwardOutputs,
  gradients,
} from '../dsl/tensors.js';

export interface DeviceProfile {
  name: string;
  /** Device-memory copy rate, bytes/s (read + write counted). */
  bandwidth: number;
  /** Dense matrix rate with 16-bit operands (tensor cores), FLOP/s. */
  matmul16: number;
  /** Dense matrix rate with f32 operands (tf32 tensor cores or FMA), FLOP/s. */
  matmul32: number;
  /** Where the numbers come from. */
  source: string;
}

/** Measured ceilings, not datasheet figures; each row cites its measurement. */
export const DEVICE_PROFILES: Record<string, DeviceProfile> = {
  h100: {
    name: 'NVIDIA H100 80GB (SXM)',
    bandwidth: 3.0e12,
    matmul16: 7.5e14,
    matmul32: 3.75e14,
    source:
      'device copy 3.00–3.01 TB/s and bf16 matmul 723–770 TFLOP/s read on an H100 80GB beside fla 4fc9d3e6 (peers/README.md); f32 taken as tf32 at half the bf16 rate',
  },
  h200: {
    name: 'NVIDIA H200',
    bandwidth: 4.3e12,
    matmul16: 7.9e14,
    matmul32: 3.95e14,
    source: 'bf16 matrix work at about 790 TFLOP/s (device/README.md); copy rate assumed 4.3 TB/s (not yet measured here)',
  },
};

export interface PassCost {
  flops: number;
  bytes: number;
  /** Seconds. */
  floor: number;
  bound: 'compute' | 'memory';
}

export interface ImplCost {
  impl: Impl;
  /** (token, partition) rows the chunked kernels process: tokens × virtual heads (mask) or × touched partitions (varlen). */
  rows: number;
  forward: PassCost;
  backward: PassCost;
  forwardBackward: PassCost;
  /** Bytes of the chunk-start states the forward saves for the backward (f32). */
  savedStateBytes: number;
}

export interface CostReport {
  device: DeviceProfile;
  chunk: number;
  /** One set of recurrent states [S, P, H, K, V] in f32. */
  stateBytes: number;
  impls: ImplCost[];
}

function bytesOf(spec: KernelSpec, ts: { storage: string; shape: number[] }[]): number {
  const io = spec.dtype === 'f32' ? 4 : 2;
  return ts.reduce((acc, t) => acc + elementCount(t) * (t.storage === 'f32' ? 4 : io), 0);
}

/** Per (token, head) row of one partition: forward and backward FLOPs of the chunked algorithm at chunk C. */
export function rowFlops(spec: KernelSpec, C: number): { forward: number; backward: number } {
  const K = spec.keyDim;
  const V = spec.valueDim;
  // forward per chunk: A = Q Kᵀ (C·C·K), A V (C·C·V), Q h (C·K·V), Kᵀ V state update (C·K·V)
  const fwd = 2 * (C * C * K + C * C * V + 2 * C * K * V);
  // backward per chunk: recompute A, dA = dO Vᵀ, dV = Aᵀ dO, dQ = dA K, dK = dAᵀ Q (C·C terms);
  // dh update Qᵀ dO, dQ += dO hᵀ, dK += V dhᵀ, dV += K dh (C·K·V terms)
  const bwd = 2 * (3 * C * C * K + 2 * C * C * V + 4 * C * K * V);
  let f = fwd;
  let b = bwd;
  if (spec.update === 'gdn') {
    // WY representation: (I + strict-lower(βKKᵀ))⁻¹ and the u/w products, about C·C·K + 2·C·K·V more each way
    f += 2 * (C * C * K + C * K * V);
    b += 4 * (C * C * K + C * K * V);
  }
  return { forward: f / C, backward: b / C };
}

export function costReport(spec: KernelSpec, shape: ProblemShape, chunk: number, device: DeviceProfile): CostReport {
  const tokens = shape.B * shape.T;
  const H = spec.heads;
  const S = shape.cuSeqlens ? shape.cuSeqlens.length - 1 : shape.B;
  const P = partitionCount(spec);
  const rate = spec.dtype === 'f32' ? device.matmul32 : device.matmul16;
  const fwdBytes = bytesOf(spec, [...forwardInputs(spec, shape), ...forwardOutputs(spec, shape)]);
  const bwdBytes = bytesOf(spec, [...forwardInputs(spec, shape), ...backwardCotangents(spec, shape), ...gradients(spec, shape)]);
  const per = rowFlops(spec, chunk);
  const pass = (flops: number, bytes: number): PassCost => {
    const tc = flops / rate;
    const tm = bytes / device.bandwidth;
    return { flops, bytes, floor: Math.max(tc, tm), bound: tc >= tm ? 'compute' : 'memory' };
  };
  const impls: ImplCost[] = spec.impls.map((impl) => {
    const shared = spec.state.shared ? tokens : 0;
    const routedPerToken =
      spec.route === null ? 0 : impl === 'mask' ? spec.state.partitions : Math.max(spec.route.write, spec.route.read);
    const rows = (shared + tokens * routedPerToken) * H;
    const forward = pass(rows * per.forward, fwdBytes);
    const backward = pass(rows * per.backward, bwdBytes);
    const forwardBackward = pass(forward.flops + backward.flops, fwdBytes + bwdBytes);
    const chunks = impl === 'mask' ? P * (tokens / chunk + S) : rows / H / chunk + S * (1 + spec.state.partitions);
    return { impl, rows, forward, backward, forwardBackward, savedStateBytes: Math.ceil(chunks) * H * spec.keyDim * spec.valueDim * 4 };
  });
  return { device, chunk, stateBytes: S * P * H * spec.keyDim * spec.valueDim * 4, impls };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatFlops(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TFLOP`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GFLOP`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MFLOP`;
  return `${n.toFixed(0)} FLOP`;
}

export function formatSeconds(s: number): string {
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(3)} ms`;
  return `${(s * 1e6).toFixed(1)} µs`;
}
