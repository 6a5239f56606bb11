/**
 * Helpers of the WGSL tests: adapter gating (skip with an install hint, or fail when
 * SSEC_REQUIRE_WEBGPU is set), the capability-derived spec matrix, and a reference check that
 * returns the device tensors so tests can also compare impls and runs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileSpecFile } from '../../dsl/index.js';
import type { Impl, KernelSpec } from '../../dsl/kernel-spec.js';
import { type Comparison, compareTensor, formatComparison, randomCotangents, randomInputs, referenceBackward, referenceForward } from '../../dsl/reference/index.js';
import { forwardOutputs, gradients, type ProblemShape } from '../../dsl/tensors.js';
import { roundInputs } from '../../codegen/harness.js';
import { buildPlan, defaultConfig, type KernelPlan, type TuningConfig } from '../../codegen/plan.js';
import type { HostTensors } from '../../codegen/target.js';
import { backend } from '../../targets/wgsl/index.js';
import { WGSL_CAPABILITIES } from '../../targets/wgsl/program.js';
import { probeDevice } from '../../targets/wgsl/runtime.js';
import { seedFor, seedNote } from '../helpers/seed.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const WORK_DIR = join(ROOT, 'build', '.test', 'wgsl');

/** Adapter gate: `run` false means skip (message says what to install); `mustFail` when SSEC_REQUIRE_WEBGPU is set. */
export async function gpuGate(): Promise<{ run: boolean; mustFail: string | null; skipped: string | null; device: string }> {
  const p = await probeDevice();
  if (p.ok) return { run: true, mustFail: null, skipped: null, device: p.device.description };
  if (process.env.SSEC_REQUIRE_WEBGPU) return { run: false, mustFail: p.message, skipped: null, device: 'none' };
  console.warn(`[wgsl] skipping GPU tests: ${p.message}`);
  return { run: false, mustFail: null, skipped: p.message, device: 'none' };
}

/** Registers the adapter gate's outcome as a visible test: failing (SSEC_REQUIRE_WEBGPU) or skipped with the reason. */
export function reportGate(gate: { mustFail: string | null; skipped: string | null }, it: (name: string, fn: () => void) => void, skip: (name: string, fn: () => void) => void): void {
  if (gate.mustFail) {
    it('needs a WebGPU adapter (SSEC_REQUIRE_WEBGPU is set)', () => {
      throw new Error(gate.mustFail!);
    });
  } else if (gate.skipped) skip(`GPU tests skipped: ${gate.skipped}`, () => {});
}

/** Whether the WGSL target runs a spec, by the declared capability matrix (not a hand-kept skip list). */
export function supported(spec: KernelSpec): boolean {
  return WGSL_CAPABILITIES.updates[spec.update] === true && spec.impls.every((i) => WGSL_CAPABILITIES.impls[i]);
}

export interface Example {
  file: string;
  spec: KernelSpec;
}

export function examples(): Example[] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sse'))
    .sort()
    .map((f) => {
      const r = compileSpecFile(join(dir, f));
      if (!r.spec) throw new Error(`example ${f} does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
      return { file: f, spec: r.spec };
    });
}

export function planOf(spec: KernelSpec, config: Partial<TuningConfig> = {}): KernelPlan {
  return buildPlan(spec, { ...defaultConfig(spec), ...config });
}

export function shapeLabel(s: ProblemShape): string {
  return s.cuSeqlens ? `cu_seqlens=${s.cuSeqlens.join(',')}` : `B=${s.B},T=${s.T}`;
}

export interface DeviceCheck {
  comparisons: Comparison[];
  tensors: HostTensors;
  failures: string[];
}

/**
 * Fresh seeded inputs (the run's seed plus opts.seed, test/helpers/seed.ts; optionally mutated, e.g. to force a partition no token selects), rounded to
 * the spec's dtype, through the WGSL target and the float64 recurrent reference.
 */
export async function checkDevice(
  spec: KernelSpec,
  plan: KernelPlan,
  impl: Impl,
  shape: ProblemShape,
  opts: { seed?: number; mutate?: (inputs: HostTensors) => void } = {},
): Promise<DeviceCheck> {
  const seed = opts.seed ?? seedFor(1);
  const raw = randomInputs(spec, shape, seed);
  opts.mutate?.(raw);
  const inputs = roundInputs(spec, raw);
  const backward = spec.passes.includes('backward');
  const cot = backward ? roundInputs(spec, randomCotangents(spec, shape, seed + 1)) : undefined;
  const res = await backend.execute!({ spec, plan, impl, shape, inputs, cotangents: cot, workDir: WORK_DIR });
  const ref: HostTensors = { ...referenceForward(spec, shape, inputs) };
  if (cot) Object.assign(ref, referenceBackward(spec, shape, inputs, cot));
  const tol = backend.tolerance(spec.dtype);
  const names = [...forwardOutputs(spec, shape).map((t) => t.name), ...(cot ? gradients(spec, shape).map((t) => t.name) : [])];
  const comparisons = names.map((n) => compareTensor(n, ref[n], res.tensors[n] ?? new Float64Array(0), tol));
  return { comparisons, tensors: res.tensors, failures: comparisons.filter((c) => !c.pass).map((c) => `${formatComparison(c)} (${seedNote(seed)})`) };
}
