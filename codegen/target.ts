/**
 * What a backend plugs in: one descriptor per target, driven by the same render and check
 * pipelines (codegen/render.ts, codegen/harness.ts). The CLI only ever talks to this interface.
 */
import type { DType, Impl, KernelSpec } from '../dsl/kernel-spec.js';
import type { ProblemShape } from '../dsl/tensors.js';
import type { KernelPlan } from './plan.js';

export type TargetName = 'cuda' | 'wgsl';

export interface RenderedFile {
  /** Path relative to the output directory. */
  path: string;
  contents: string;
}

/** Host tensors in logical [B,T,H,D] layout, f64, by the names of dsl/tensors.ts. */
export type HostTensors = Record<string, Float64Array>;

export interface ExecuteRequest {
  spec: KernelSpec;
  plan: KernelPlan;
  impl: Impl;
  shape: ProblemShape;
  /** Forward inputs (already rounded to the spec's dtype). */
  inputs: HostTensors;
  /** Cotangents (do, dht); absent when only the forward pass runs. */
  cotangents?: HostTensors;
  /** Build directory the target may use for generated files and caches. */
  workDir: string;
}

export interface ExecuteResult {
  /** o, ht? — and every gradient d<name> when cotangents were given. Outputs were poisoned (NaN) before the run. */
  tensors: HostTensors;
  /** Adapter / device description. */
  device: string;
  /** Milliseconds, when the target measured them. */
  timings?: Record<string, number>;
}

export interface TargetBackend {
  name: TargetName;
  /** Every file of the target for a plan: kernels, host bindings, manifest. */
  render(spec: KernelSpec, plan: KernelPlan): RenderedFile[];
  /** Relative RMS tolerance against the float64 reference for a storage dtype. */
  tolerance(dtype: DType): number;
  /** Compiles (cached by kernel identity), uploads, runs forward (and backward) and downloads. */
  execute?(req: ExecuteRequest): Promise<ExecuteResult>;
}
