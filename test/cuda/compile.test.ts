/**
 * CUDA compile checks without a GPU (CI): every example spec's kernels compile with this machine's
 * nvcc for sm_80 and sm_90 with warnings as errors (-Werror all-warnings, host -Wall), ptxas reports
 * no local-memory spills for the default configs, and the standalone driver's host code compiles; the wgmma walk
 * probe of test/bench builds for sm_90a the same way.
 * Two random specs per run (fresh seed, printed) build too: an accepted spec must build, spills allowed.
 * All nvcc processes start at once (one per example × arch); ~2–3 min on 2 cores.
 * Skipped only when nvcc is absent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../codegen/plan.js';
import { writeIfDifferent } from '../../codegen/render.js';
import type { CudaArch, KernelSpec } from '../../dsl/kernel-spec.js';
import { BASE_FLAGS, archFlags, findNvcc, formatPtxas, ptxasReport, type PtxasReport } from '../../targets/cuda/compile.js';
import { checkCudaLegality, compileReport, cudaStages, cudaVariant, kernelIdentity, renderCuda } from '../../targets/cuda/index.js';
import { exampleSpecs } from './render.test.js';
import { makeSpec } from '../helpers/spec.js';
import { randomSpecText, rng } from '../helpers/random-spec.js';
import { compileSpec } from '../../dsl/index.js';

const nvcc = findNvcc();
// sm_90a too: a compute-capability 9.0 GPU builds every spec for it (`ssec run`, the PyTorch binding)
const ARCHS: CudaArch[] = ['sm_80', 'sm_90', 'sm_90a'];
const root = mkdtempSync(join(tmpdir(), 'ssec-cuda-compile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const buildable = exampleSpecs.filter(([, s]) => s.update !== 'gdn');

/**
 * Legal specs beyond the examples whose builds once failed, each compiled for one arch: tensor-core specs with
 * chunk 128, whose forward runs fwd_h + fwd_o because fwd_ho's shared memory would not fit (fwd_ho's body was
 * compiled all the same, and its static_assert stopped nvcc).
 */
const extraSpecs: [string, KernelSpec, CudaArch][] = [
  ['decay_bf16_chunk128', makeSpec({ name: 'decay_c128', dtype: 'bf16', update: 'decay', keyDim: 64, valueDim: 32, chunk: [128] }), 'sm_80'],
  [
    'gla_bf16_chunk128_K128',
    makeSpec({ name: 'gla_c128', dtype: 'bf16', keyDim: 128, valueDim: 64, chunk: [128], targets: { cuda: { archs: ['sm_90'] }, wgsl: false } }),
    'sm_90',
  ],
];

/**
 * A spec whose forward has the wgmma walk (cudaVariant(...).wg: bf16, K = 256, chunk 64): built for sm_90a, where that
 * walk is compiled (elsewhere its body is a trap the launchers never reach), and its driver's host code with the
 * sm_90a define.
 */
const wgSpec = makeSpec({
  name: 'gla_wg',
  dtype: 'bf16',
  keyDim: 256,
  valueDim: 128,
  state: { shared: true, partitions: 4, routedInputs: 'own' },
  initialState: true,
  finalState: true,
  targets: { cuda: { archs: ['sm_90'] }, wgsl: false },
});

/**
 * Fresh random specs on every run (seed printed; SSEC_SPEC_SEED=n repeats a run): each spec that the language and the
 * CUDA target's checks accept must build for one of its archs (sm_90a for sm_90 specs, most of the time) with no
 * warning, every planned kernel present. Spills are allowed here — some legal shapes spill (docs/cuda.md, "Known
 * issues") and `ssec explain` reports them — but a failed build of an accepted spec is a bug.
 */
const SPEC_SEED = Number(process.env.SSEC_SPEC_SEED ?? Date.now() % 1e9);
const randomSpecs: { text: string; spec: KernelSpec; arch: CudaArch }[] = [];
{
  const rnd = rng(SPEC_SEED);
  for (let i = 0; randomSpecs.length < 2 && i < 200; i++) {
    const text = randomSpecText(rnd, `r${i}`);
    const spec = compileSpec(text).spec;
    if (!spec || checkCudaLegality(spec, buildPlan(spec)).length > 0) continue;
    const archs = spec.targets.cuda!.archs;
    const arch: CudaArch = archs.includes('sm_90') && rnd() < 0.6 ? 'sm_90a' : archs[Math.floor(rnd() * archs.length)];
    randomSpecs.push({ text, spec, arch });
  }
}

/** The wgmma walk probe of the benchmarks (docs/cuda.md, "What is left", item 4): standalone, built for sm_90a. */
const probeDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const PROBE = 'cuda_wgmma_walk.cu';

/** One promise per (example, arch), started when the module loads so they all run concurrently. */
const jobs = new Map<string, Promise<PtxasReport>>();
/** Host-code builds (`nvcc -c`): the examples' standalone drivers and the probe. */
const hostJobs = new Map<string, Promise<{ ok: boolean; stderr: string }>>();
function hostCompile(nvcc: string, arch: CudaArch, source: string, include: string, out: string): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(nvcc, [...BASE_FLAGS, ...archFlags(arch), '-c', '-I', include, source, '-o', out]);
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ ok: code === 0, stderr }));
  });
}
/** Renders spec's CUDA files into root/name and starts one ptxas report per arch (jobs `name/arch`). */
function startBuilds(nvcc: string, name: string, spec: KernelSpec, archs: CudaArch[]): { dir: string; id: string } {
  const plan = buildPlan(spec);
  const dir = join(root, name);
  writeIfDifferent(dir, renderCuda(spec, plan));
  const id = kernelIdentity(spec, plan);
  for (const arch of archs) jobs.set(`${name}/${arch}`, ptxasReport({ nvcc, dir, source: `${id}.cu`, arch, outDir: join(dir, 'cubin') }));
  return { dir, id };
}
if (nvcc) {
  for (const [file, spec] of buildable) {
    const { dir, id } = startBuilds(nvcc, file, spec, ARCHS);
    hostJobs.set(file, hostCompile(nvcc, 'sm_80', join(dir, `${id}_driver.cu`), dir, join(dir, 'driver.o')));
  }
  for (const [name, spec, arch] of extraSpecs) startBuilds(nvcc, name, spec, [arch]);
  {
    const { dir, id } = startBuilds(nvcc, 'gla_wg', wgSpec, ['sm_90a']);
    hostJobs.set('gla_wg', hostCompile(nvcc, 'sm_90a', join(dir, `${id}_driver.cu`), dir, join(dir, 'driver.o')));
  }
  randomSpecs.forEach(({ spec, arch }, i) => startBuilds(nvcc, `random${i}`, spec, [arch]));
  jobs.set('probe/sm_90a', ptxasReport({ nvcc, dir: probeDir, source: PROBE, arch: 'sm_90a', outDir: join(root, 'probe') }));
  hostJobs.set('probe', hostCompile(nvcc, 'sm_90a', join(probeDir, PROBE), probeDir, join(root, 'probe', 'probe.o')));
}

describe.skipIf(!nvcc)('CUDA compile (nvcc, no GPU needed)', () => {
  for (const [file, spec] of buildable) {
    for (const arch of ARCHS) {
      it(`${file} compiles for ${arch} without warnings and without spills`, async () => {
        const r = await jobs.get(`${file}/${arch}`)!;
        const table = formatPtxas(r);
        expect(r.ok, `nvcc failed:\n${r.command}\n${r.diagnostics.join('\n')}`).toBe(true);
        expect(r.diagnostics, table).toEqual([]);
        const plan = buildPlan(spec);
        const stages = new Set(
          plan.impls.flatMap((i) =>
            (['forward', 'inference', 'backward'] as const).flatMap((pass) => cudaStages(plan, i, pass, cudaVariant(spec, plan))).map((s) => `${kernelIdentity(spec, plan)}_${i.impl}_${s.name}`),
          ),
        );
        expect(new Set(r.kernels.map((k) => k.kernel))).toEqual(stages);
        const spilling = r.kernels.filter((k) => k.spillStores > 0 || k.spillLoads > 0);
        expect(spilling.map((k) => `${k.kernel}: ${k.spillStores}/${k.spillLoads} bytes spilled`), table).toEqual([]);
      });
    }
    it(`${file}: the standalone driver's host code compiles without warnings`, async () => {
      const r = await hostJobs.get(file)!;
      expect(r.ok, r.stderr).toBe(true);
      expect(r.stderr.trim()).toBe('');
    });
  }

  it(`draws two random specs that the checks accept (seed ${SPEC_SEED})`, () => {
    expect(randomSpecs.length).toBe(2);
  });
  randomSpecs.forEach(({ text, spec, arch }, i) => {
    it(`random spec ${i} (seed ${SPEC_SEED}) builds for ${arch} without warnings, every kernel present`, async () => {
      const r = await jobs.get(`random${i}/${arch}`)!;
      const table = formatPtxas(r);
      const what = `SSEC_SPEC_SEED=${SPEC_SEED}, spec:\n${text}\n${table}`;
      expect(r.ok, `nvcc failed (${what}):\n${r.command}\n${r.diagnostics.join('\n')}`).toBe(true);
      expect(r.diagnostics, what).toEqual([]);
      const plan = buildPlan(spec);
      const stages = plan.impls.flatMap((im) =>
        (['forward', 'inference', 'backward'] as const).flatMap((pass) => cudaStages(plan, im, pass, cudaVariant(spec, plan))).map((st) => `${kernelIdentity(spec, plan)}_${im.impl}_${st.name}`),
      );
      expect(new Set(r.kernels.map((k) => k.kernel)), what).toEqual(new Set(stages));
    });
  });

  for (const [name, spec, arch] of extraSpecs) {
    it(`${name} (forward without fwd_ho) compiles for ${arch} without warnings`, async () => {
      const r = await jobs.get(`${name}/${arch}`)!;
      expect(r.ok, `nvcc failed:\n${r.command}\n${r.diagnostics.join('\n')}`).toBe(true);
      expect(r.diagnostics, formatPtxas(r)).toEqual([]);
      expect(cudaVariant(spec, buildPlan(spec)).fused).toBe(false);
      expect(r.kernels.some((k) => /fwd_ho$/.test(k.kernel))).toBe(false);
    });
  }

  it('a K = 256 bf16 spec builds its wgmma forward walk for sm_90a: no warnings, no spills, no serialised wgmma; driver host code too', async () => {
    const plan = buildPlan(wgSpec);
    expect(cudaVariant(wgSpec, plan)).toEqual({ saved: true, fused: false, wg: true });
    const r = await jobs.get('gla_wg/sm_90a')!;
    const table = formatPtxas(r);
    expect(r.ok, `nvcc failed:\n${r.command}\n${r.diagnostics.join('\n')}`).toBe(true);
    expect(r.diagnostics, table).toEqual([]);
    const id = kernelIdentity(wgSpec, plan);
    for (const impl of ['mask', 'varlen']) expect(r.kernels.map((k) => k.kernel), table).toContain(`${id}_${impl}_fwd_ho`);
    expect(r.kernels.filter((k) => k.spillStores > 0 || k.spillLoads > 0).map((k) => k.kernel), table).toEqual([]);
    // the walk's accumulators stay in registers (a local array of them would put wgmma operands in memory)
    expect(r.kernels.filter((k) => /fwd_ho$/.test(k.kernel) && k.stackFrame > 0).map((k) => k.kernel), table).toEqual([]);
    const host = await hostJobs.get('gla_wg')!;
    expect(host.ok, host.stderr).toBe(true);
    expect(host.stderr.trim()).toBe('');
  });

  it(`the wgmma walk probe (test/bench/${PROBE}) compiles for sm_90a without warnings or spills, host code included`, async () => {
    const r = await jobs.get('probe/sm_90a')!;
    const table = formatPtxas(r);
    expect(r.ok, `nvcc failed:\n${r.command}\n${r.diagnostics.join('\n')}`).toBe(true);
    expect(r.diagnostics, table).toEqual([]);
    expect(r.kernels.length, table).toBeGreaterThanOrEqual(5);
    expect(r.kernels.filter((k) => k.spillStores > 0 || k.spillLoads > 0).map((k) => k.kernel), table).toEqual([]);
    const host = await hostJobs.get('probe')!;
    expect(host.ok, host.stderr).toBe(true);
    expect(host.stderr.trim()).toBe('');
  });

  it('compileReport (ssec explain) tabulates registers, shared memory and spills per kernel', async () => {
    // Reuses the sm_80 build of the smallest example through the same parser.
    const [file, spec] = buildable.find(([f]) => f === 'gla.sse') ?? buildable[0];
    const r = await jobs.get(`${file}/sm_80`)!;
    expect(r.kernels.length).toBeGreaterThan(0);
    for (const k of r.kernels) expect(k.registers).toBeGreaterThan(0);
    expect(typeof compileReport).toBe('function');
    expect(formatPtxas(r)).toMatch(/regs\s+smem\s+stack\s+spill st\/ld/);
    expect(spec.name.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!!nvcc)('CUDA compile (skipped)', () => {
  it('nvcc is not installed here: CUDA compile checks skipped (CI has nvcc)', () => {
    expect(nvcc).toBeNull();
  });
});
