/**
 * CUDA generation on the CPU: every example renders (gdn is refused with a named reason), the output
 * is stable (golden snapshots of the header, kernels and manifest), write-if-different keeps
 * unchanged files, and legality errors name the values.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSpecFile } from '../../dsl/index.js';
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import { buildPlan } from '../../codegen/plan.js';
import { writeIfDifferent } from '../../codegen/render.js';
import { CudaLegalityError, checkCudaLegality, cudaBackend, cudaStages, cudaVariant, kernelIdentity, renderCuda } from '../../targets/cuda/index.js';
import { hostTensors } from '../../targets/cuda/render.js';
import { makeSpec } from '../helpers/spec.js';
import { CASES } from '../gpu/cases.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');
export const exampleSpecs: [string, KernelSpec][] = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.sse'))
  .sort()
  .map((f) => {
    const r = compileSpecFile(join(EXAMPLES, f));
    if (!r.spec) throw new Error(`example ${f} does not compile`);
    return [f, r.spec];
  });

describe('CUDA render: examples', () => {
  for (const [file, spec] of exampleSpecs) {
    if (spec.update === 'gdn') {
      it(`${file}: gdn is refused with a clear reason`, () => {
        expect(() => renderCuda(spec, buildPlan(spec))).toThrowError(CudaLegalityError);
        expect(() => renderCuda(spec, buildPlan(spec))).toThrowError(/CUDA001.*gdn.*not supported by the CUDA target yet/);
      });
      continue;
    }
    it(`${file}: renders header, kernels, driver, PyTorch binding and manifest (golden)`, async () => {
      const plan = buildPlan(spec);
      const id = kernelIdentity(spec, plan);
      const files = renderCuda(spec, plan);
      expect(files.map((f) => f.path)).toEqual([`${id}.h`, `${id}.cu`, `${id}_driver.cu`, `${id}_torch.cpp`, `${id}_torch.py`, 'manifest.json']);
      const byName = Object.fromEntries(files.map((f) => [f.path, f.contents]));
      // Every plan stage has an extern "C" kernel and a launch in the right order.
      for (const ip of plan.impls) {
        for (const st of [...cudaStages(plan, ip, 'forward', cudaVariant(spec, plan)), ...cudaStages(plan, ip, 'backward', cudaVariant(spec, plan))]) {
          // __launch_bounds__(threads, min blocks per SM on sm_90 / sm_80); ids and stage names are [A-Za-z0-9_].
          expect(byName[`${id}.cu`]).toMatch(
            new RegExp(`extern "C" __global__ void __launch_bounds__\\(${st.threads}, SSEC_MIN_BLOCKS\\([1-9]\\d*, [1-9]\\d*\\)\\) ${id}_${ip.impl}_${st.name}\\(`),
          );
        }
        const fwd = byName[`${id}.cu`].indexOf(`${id}_${ip.impl}_forward(`);
        let last = fwd;
        for (const st of cudaStages(plan, ip, 'forward', cudaVariant(spec, plan))) {
          const at = byName[`${id}.cu`].indexOf(`${id}_launch(${id}_${ip.impl}_${st.name},`, fwd);
          expect(at, `${ip.impl} forward launches ${st.name} after the previous stage`).toBeGreaterThan(last);
          last = at;
        }
        expect(byName[`${id}.h`]).toContain(`cudaError_t ${id}_${ip.impl}_forward(const ${id}_params* p, cudaStream_t stream);`);
        expect(byName[`${id}.h`]).toContain(`size_t ${id}_${ip.impl}_workspace_bytes(int B, int T, int S);`);
      }
      expect(byName[`${id}_torch.py`]).toContain('class SSEFunction(torch.autograd.Function)');
      expect(byName[`${id}_torch.py`]).toContain('def sse_attention(');
      await expect(byName[`${id}.h`]).toMatchFileSnapshot(`__snapshots__/${spec.name}.h`);
      await expect(byName[`${id}.cu`]).toMatchFileSnapshot(`__snapshots__/${spec.name}.cu`);
      await expect(byName['manifest.json']).toMatchFileSnapshot(`__snapshots__/${spec.name}.manifest.json`);
    });
  }
});

describe('CUDA render: behaviour', () => {
  it('identity names spec, hash and every tuning parameter, never runtime sizes', () => {
    const spec = makeSpec({ name: 'x-y' });
    const plan = buildPlan(spec);
    expect(kernelIdentity(spec, plan)).toMatch(/^ssec_x_y_[0-9a-f]{8}_c64k16v16t128$/);
    const other = makeSpec({ name: 'x-y', keyDim: 8 });
    expect(kernelIdentity(other, buildPlan(other))).not.toBe(kernelIdentity(spec, plan));
  });

  it('rendering is deterministic and write-if-different leaves unchanged files alone', () => {
    const spec = makeSpec();
    const plan = buildPlan(spec);
    const a = renderCuda(spec, plan);
    const b = renderCuda(spec, plan);
    expect(a).toEqual(b);
    const dir = mkdtempSync(join(tmpdir(), 'ssec-cuda-'));
    try {
      expect(writeIfDifferent(dir, a).written.length).toBe(a.length);
      const mtime = statSync(join(dir, a[1].path)).mtimeMs;
      const again = writeIfDifferent(dir, b);
      expect(again.written).toEqual([]);
      expect(statSync(join(dir, a[1].path)).mtimeMs).toBe(mtime);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shared-memory legality names the stage, the sizes and the arch limit', () => {
    const spec = makeSpec({ keyDim: 256, valueDim: 256, chunk: [128], targets: { cuda: { archs: ['sm_86'] }, wgsl: false } });
    const plan = buildPlan(spec);
    const issues = checkCudaLegality(spec, plan);
    const msg = issues.map((i) => `${i.code}: ${i.message}`).join('\n');
    expect(msg).toMatch(/CUDA004: fwd_o with chunk 128, BK 64, BV 64, KC 32, VC 32 needs [\d.]+ KiB of shared memory; sm_86 allows 99 KiB per block/);
    expect(() => renderCuda(spec, plan)).toThrowError(CudaLegalityError);
  });

  it('thread-divisibility legality names the tile and the thread count', () => {
    const spec = makeSpec({ keyDim: 16, valueDim: 16, chunk: [16] });
    const plan = buildPlan(spec, { chunk: 16, BK: 16, BV: 16, threads: 512 });
    expect(checkCudaLegality(spec, plan).map((i) => i.message).join('\n')).toMatch(/state tile BK 16 x BV 16 = 256 elements does not divide evenly over 512 threads/);
  });

  it('the params ABI is fixed for every spec (same field order)', () => {
    const fieldsOf = (spec: KernelSpec) => {
      const h = renderCuda(spec, buildPlan(spec))[0].contents;
      return [...h.matchAll(/^ {2}(?:const )?\w+\* (\w+);/gm)].map((m) => m[1]);
    };
    const a = fieldsOf(makeSpec());
    const b = fieldsOf(makeSpec({ update: 'linear', state: { shared: true, partitions: 0, routedInputs: 'shared' }, route: null, initialState: false, finalState: false }));
    expect(a).toEqual(b);
    expect(a.slice(0, 4)).toEqual(['cu_seqlens', 'q', 'k', 'v']);
    expect(a.at(-1)).toBe('workspace');
  });

  it('host tensors of the driver follow dsl/tensors names and shapes', () => {
    const spec = makeSpec({ update: 'decay' });
    const t = hostTensors(spec, buildPlan(spec));
    const byName = Object.fromEntries(t.map((x) => [x.name, x]));
    expect(byName.g.count).toBe('B * T * 2');
    expect(byName.h0.count).toBe('S * 3 * 2 * 4 * 3');
    expect(byName.de.role).toBe('gradient');
    expect(byName.do.field).toBe('do_');
  });

  it('every GPU check case renders (legal configs)', () => {
    for (const c of CASES) {
      const spec = makeSpec({ name: c.name, ...c.spec });
      expect(() => renderCuda(spec, buildPlan(spec)), c.name).not.toThrow();
    }
  });

  it('tolerances: f32 1e-5, bf16/f16 1e-2', () => {
    expect(cudaBackend.tolerance('f32')).toBe(1e-5);
    expect(cudaBackend.tolerance('bf16')).toBe(1e-2);
    expect(cudaBackend.tolerance('f16')).toBe(1e-2);
  });
});
