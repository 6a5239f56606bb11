/**
 * The check every target runs: fresh random inputs, rounded to the spec's dtype, go to the
 * target and to the float64 reference; every output, final state and gradient is compared by
 * relative RMS error. Targets poison their outputs with NaN before running, so an unwritten
 * element shows up as non-finite and fails.
 */
import type { Impl, KernelSpec } from '../dsl/kernel-spec.js';
import type { ProblemShape } from '../dsl/tensors.js';
import { forwardOutputs, gradients } from '../dsl/tensors.js';
import {
  type Comparison,
  compareTensor,
  randomCotangents,
  randomInputs,
  referenceBackward,
  referenceForward,
} from '../dsl/reference/index.js';
import { quantize } from './dtype.js';
import type { KernelPlan } from './plan.js';
import type { HostTensors, TargetBackend } from './target.js';

export { quantize };

/** Inputs stored in the spec's dtype are rounded; f32 tensors (states) to f32. */
export function roundInputs(spec: KernelSpec, inputs: HostTensors): HostTensors {
  const out: HostTensors = {};
  for (const [name, arr] of Object.entries(inputs)) out[name] = quantize(name === 'h0' || name === 'dht' ? 'f32' : spec.dtype, arr);
  return out;
}

export interface CheckOptions {
  backend: TargetBackend;
  spec: KernelSpec;
  plan: KernelPlan;
  impl: Impl;
  shape: ProblemShape;
  seed: number;
  /** Multiplies the sampled log-decays (dsl/reference/random.ts; default 1). */
  gateScale?: number;
  workDir: string;
  /** Defaults to backend.tolerance(spec.dtype). */
  tol?: number;
  /** Run the backward pass too (default: when the spec has it). */
  backward?: boolean;
}

export interface CheckReport {
  target: string;
  impl: Impl;
  shape: ProblemShape;
  seed: number;
  gateScale?: number;
  device: string;
  tol: number;
  comparisons: Comparison[];
  pass: boolean;
  timings?: Record<string, number>;
}

export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  const { backend, spec, plan, impl, shape, seed } = opts;
  if (!backend.execute) throw new Error(`target ${backend.name} cannot execute kernels`);
  const tol = opts.tol ?? backend.tolerance(spec.dtype);
  const backward = opts.backward ?? spec.passes.includes('backward');
  const inputs = roundInputs(spec, randomInputs(spec, shape, seed, { gateScale: opts.gateScale }));
  const cot = backward ? roundInputs(spec, randomCotangents(spec, shape, seed + 1)) : undefined;
  const result = await backend.execute({ spec, plan, impl, shape, inputs, cotangents: cot, workDir: opts.workDir });
  const ref: HostTensors = { ...referenceForward(spec, shape, inputs) };
  if (cot) Object.assign(ref, referenceBackward(spec, shape, inputs, cot));
  const names = [...forwardOutputs(spec, shape).map((t) => t.name), ...(cot ? gradients(spec, shape).map((t) => t.name) : [])];
  const comparisons = names.map((name) => {
    const out = result.tensors[name];
    if (!out) return { name, relRms: Infinity, maxAbs: Infinity, nonFinite: 0, pass: false, tol, missing: true } as Comparison;
    return compareTensor(name, ref[name], out, tol);
  });
  // Outputs of another entry point of the same pass (`o:inference`: the CUDA target's inference forward), against the
  // same reference.
  for (const [name, out] of Object.entries(result.tensors)) {
    const base = name.split(':')[0];
    if (name.includes(':') && ref[base]) comparisons.push(compareTensor(name, ref[base], out, tol));
  }
  return {
    target: backend.name,
    impl,
    shape,
    seed,
    ...(opts.gateScale !== undefined && opts.gateScale !== 1 ? { gateScale: opts.gateScale } : {}),
    device: result.device,
    tol,
    comparisons,
    pass: comparisons.every((c) => c.pass),
    timings: result.timings,
  };
}

/** A fixed-width table: tensor, relative RMS error, max abs error, pass/fail. */
export function formatReport(r: CheckReport): string {
  const shape = r.shape.cuSeqlens ? `cu_seqlens=${r.shape.cuSeqlens.join(',')}` : `B=${r.shape.B},T=${r.shape.T}`;
  const lines = [`${r.target} ${r.impl} ${shape} seed=${r.seed}${r.gateScale !== undefined ? ` gate-scale=${r.gateScale}` : ''} on ${r.device} (tol ${r.tol.toExponential(0)})`];
  lines.push(`  ${'tensor'.padEnd(8)} ${'rel_rms'.padStart(10)} ${'max_abs'.padStart(10)}  result`);
  for (const c of r.comparisons) {
    const verdict = c.pass ? 'pass' : c.nonFinite ? `FAIL (${c.nonFinite} non-finite)` : 'FAIL';
    lines.push(`  ${c.name.padEnd(8)} ${c.relRms.toExponential(2).padStart(10)} ${c.maxAbs.toExponential(2).padStart(10)}  ${verdict}`);
  }
  if (r.timings) lines.push(`  times: ${Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(3)} ms`).join(', ')}`);
  lines.push(`  ${r.pass ? 'PASS' : 'FAIL'}`);
  return lines.join('\n');
}
