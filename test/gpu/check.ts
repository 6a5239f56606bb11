/**
 * CUDA correctness suite, run on a GPU host (not under vitest: CI has no GPU).
 *
 *   npx tsx test/gpu/check.ts [--out DIR] [--filter SUBSTR] [--keep DIR]
 *
 * Every case: fresh seeded inputs (one seed per run, printed; SSEC_TEST_SEED=n repeats it) rounded to the dtype → standalone driver (outputs poisoned with NaN,
 * CUDA-graph replay checked bit-identical) → float64 recurrent reference; relative RMS per tensor.
 * Edge cases: T not a multiple of the chunk, T = 1, segments of length 1, unselected partitions,
 * k_w ≠ k_r, N = 1, N = 16 top-2, K ≠ V, per-head logits, own routed inputs, no shared partition,
 * BHTD layout, initial/final states, f32 / bf16 / f16.
 * Drivers of all specs are built in parallel first. Prints one line per case and a summary table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import { buildPlan } from '../../codegen/plan.js';
import { runCheck } from '../../codegen/harness.js';
import { writeIfDifferent } from '../../codegen/render.js';
import { makeSpec } from '../helpers/spec.js';
import { CASES } from './cases.js';
import { RUN_SEED, seedFor, seedNote } from '../helpers/seed.js';
import { buildDriver, findNvcc } from '../../targets/cuda/compile.js';
import { cudaBackend, kernelIdentity, renderCuda } from '../../targets/cuda/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const out = arg('--out') ?? 'build/gpu-check';
  const filter = arg('--filter');
  const workDir = arg('--work') ?? 'build/gpu-work';
  mkdirSync(out, { recursive: true });
  process.env.SSEC_CUDA_REPS ??= '2';
  const cases = CASES.filter((c) => !filter || c.name.includes(filter));
  const specs = new Map<string, KernelSpec>();
  for (const c of cases) specs.set(c.name, makeSpec({ name: c.name, ...c.spec }));
  // Build every driver in parallel (nvcc is single-threaded per file).
  const nvcc = findNvcc();
  if (!nvcc) throw new Error('nvcc not found');
  const t0 = Date.now();
  await Promise.all(
    [...specs.values()].map(async (spec) => {
      const plan = buildPlan(spec);
      const id = kernelIdentity(spec, plan);
      const dir = join(workDir, 'cuda', id);
      mkdirSync(dir, { recursive: true });
      writeIfDifferent(dir, renderCuda(spec, plan));
      await buildDriver({ nvcc, dir, identity: id, sources: [`${id}_driver.cu`, `${id}.cu`], arch: (process.env.SSEC_CUDA_ARCH as never) ?? 'native', cacheDir: join(workDir, 'cuda-cache') });
    }),
  );
  console.log(`built ${specs.size} drivers in ${((Date.now() - t0) / 1000).toFixed(1)} s; inputs from SSEC_TEST_SEED=${RUN_SEED}`);
  const rows: string[] = [];
  const log: unknown[] = [];
  let fails = 0;
  for (const c of cases) {
    const spec = specs.get(c.name)!;
    const plan = buildPlan(spec);
    for (const impl of (c.impls ?? spec.impls).filter((i) => !arg('--impl') || i === arg('--impl'))) {
      const label = `${c.name}/${impl}`;
      try {
        const r = await runCheck({ backend: cudaBackend, spec, plan, impl, shape: c.shape, seed: seedFor(1234), gateScale: c.gateScale, workDir });
        const worst = r.comparisons.reduce((a, b) => (b.relRms > a.relRms || Number.isNaN(b.relRms) ? b : a));
        const graphOk = r.timings?.graph_identical === undefined || r.timings.graph_identical === 1;
        const pass = r.pass && graphOk;
        if (!pass) fails++;
        const line = `${pass ? 'PASS' : 'FAIL'} ${label.padEnd(44)} worst ${worst.name.padEnd(4)} ${worst.relRms.toExponential(2)} (tol ${r.tol.toExponential(0)}) graph ${graphOk ? 'same' : 'DIFF'}${/wgmma/.test(r.device) ? ' wgmma' : ''}`;
        rows.push(line);
        console.log(line);
        if (!r.pass) for (const cmp of r.comparisons.filter((x) => !x.pass)) console.log(`    ${cmp.name}: relRms ${cmp.relRms} nonFinite ${cmp.nonFinite} unwritten ${cmp.unwritten ?? 0} (${seedNote(seedFor(1234))})`);
        log.push({ label, ...r });
      } catch (e) {
        fails++;
        const line = `FAIL ${label.padEnd(44)} ERROR ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`;
        rows.push(line);
        console.log(line);
        log.push({ label, error: String(e) });
      }
    }
  }
  writeFileSync(join(out, 'check.json'), JSON.stringify(log, null, 1));
  console.log('\n==== CUDA correctness summary ====');
  for (const r of rows) console.log(r);
  console.log(`${rows.length - fails}/${rows.length} passed`);
  process.exitCode = fails ? 1 : 0;
}

await main();
