/**
 * WGSL rendering without a GPU: golden files of the generated WGSL and TypeScript for the examples,
 * kernel identities, write-if-different, the manifest, legality messages, unsupported specs, and
 * the generated module type-checking under `tsc --strict` with @webgpu/types.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { evalSize } from '../../codegen/expr.js';
import { writeIfDifferent } from '../../codegen/render.js';
import { backend, renderFiles } from '../../targets/wgsl/index.js';
import { className, moduleFileName, shadersFileName, sizeToJs } from '../../targets/wgsl/host.js';
import { buildProgram, UnsupportedSpec, wgslSizes } from '../../targets/wgsl/program.js';
import { renderPrograms, templateSet } from '../../targets/wgsl/render.js';
import { makeSpec } from '../helpers/spec.js';
import { examples, planOf, ROOT, supported } from './helpers.js';

const SNAP = join(import.meta.dirname, '__snapshots__');
const ID = /^([a-z_]+)_(mask|varlen)_([0-9a-f]{12})$/;

describe('golden files of the examples', () => {
  for (const ex of examples()) {
    if (!supported(ex.spec)) {
      it(`${ex.file}: render rejects update '${ex.spec.update}' with a clear message`, () => {
        expect(() => backend.render(ex.spec, planOf(ex.spec))).toThrow(UnsupportedSpec);
        expect(() => backend.render(ex.spec, planOf(ex.spec))).toThrow(/does not support update rule 'gdn' yet/);
      });
      continue;
    }
    it(`${ex.file}: WGSL per kernel and the TypeScript module`, async () => {
      const files = renderFiles(ex.spec, planOf(ex.spec));
      for (const f of files) {
        if (f.path.endsWith('.wgsl')) {
          // Snapshot under the stage name so a template change shows as a diff, not a new file.
          const m = ID.exec(f.path.replace(/\.wgsl$/, ''));
          expect(m, `kernel file ${f.path} is named <stage>_<impl>_<hash12>.wgsl`).not.toBeNull();
          const io = /enable f16;/.test(f.contents) ? '.f16' : '';
          await expect(f.contents).toMatchFileSnapshot(join(SNAP, ex.spec.name, `${m![1]}_${m![2]}${io}.wgsl`));
        } else if (f.path === moduleFileName(ex.spec)) {
          await expect(f.contents).toMatchFileSnapshot(join(SNAP, ex.spec.name, `${ex.spec.name}.ts.snap`));
        }
      }
    });
  }
});

describe('render', () => {
  const spec = makeSpec({ chunk: [16, 32] });
  const plan = planOf(spec, { chunk: 16 });

  it('names every kernel by an identity of all its compile-time parameters', () => {
    const files = renderFiles(spec, plan);
    const wgsl = files.filter((f) => f.path.endsWith('.wgsl'));
    expect(wgsl.length).toBeGreaterThan(10);
    for (const f of wgsl) expect(f.path).toMatch(/^[a-z_]+_(mask|varlen)_[0-9a-f]{12}\.wgsl$/);
    // Same inputs, same identities; another chunk size, other identities.
    const again = renderFiles(spec, plan).filter((f) => f.path.endsWith('.wgsl')).map((f) => f.path);
    expect(again).toEqual(wgsl.map((f) => f.path));
    const other = renderFiles(spec, planOf(spec, { chunk: 32 })).filter((f) => f.path.endsWith('.wgsl')).map((f) => f.path);
    expect(other.filter((p) => again.includes(p) && !/^(route|bucket_scatter|bwd_route)_/.test(p))).toEqual([]);
  });

  it('keeps runtime sizes (B, T, S, cu_seqlens) out of the kernels: they are uniform fields', () => {
    for (const rp of renderPrograms(spec, plan)) {
      const names = rp.program.uniforms.map((u) => u.name);
      expect(names.slice(0, 3)).toEqual(['B', 'T', 'S']);
      for (const src of Object.values(rp.sources)) {
        expect(src).toMatch(/struct Params \{\n {2}B: u32/);
        expect(src).not.toMatch(/const (B|T|S): /);
      }
    }
  });

  it('writes idempotently (write-if-different)', () => {
    const dir = join(ROOT, 'build', '.test', 'wgsl-render');
    rmSync(dir, { recursive: true, force: true });
    const files = renderFiles(spec, plan);
    const first = writeIfDifferent(dir, files);
    expect(first.written.length).toBe(files.length);
    const mtime = statSync(join(dir, 'manifest.json')).mtimeMs;
    const second = writeIfDifferent(dir, renderFiles(spec, plan));
    expect(second.written).toEqual([]);
    expect(second.unchanged.length).toBe(files.length);
    expect(statSync(join(dir, 'manifest.json')).mtimeMs).toBe(mtime);
  });

  it('writes a manifest with kernels, bindings, workgroup sizes, the plan and the spec hash', () => {
    const files = renderFiles(spec, plan);
    const m = JSON.parse(files.find((f) => f.path === 'manifest.json')!.contents);
    expect(m.specHash).toBe(plan.specHash);
    expect(m.plan.config).toEqual(plan.config);
    expect(m.programs.map((p: { impl: string }) => p.impl)).toEqual(['mask', 'varlen']);
    for (const p of m.programs) {
      for (const k of p.kernels) {
        expect(files.some((f) => f.path === k.file)).toBe(true);
        expect(k.workgroupSize[0]).toBeGreaterThan(0);
        expect(k.bindings[0]).toEqual({ binding: 0, buffer: 'params', type: 'uniform' });
        expect(k.workgroupStorageBytes).toBeLessThanOrEqual(m.limits.workgroupStorageBytes);
      }
    }
    const bf = JSON.parse(renderFiles(makeSpec({ dtype: 'bf16', chunk: [16] }), planOf(makeSpec({ dtype: 'bf16', chunk: [16] }))).find((f) => f.path === 'manifest.json')!.contents);
    expect(bf.storage.io).toMatch(/bf16 specs are stored as f32/);
  });

  it('renders an f16 variant and an f32 fallback for f16 specs', () => {
    const h = makeSpec({ dtype: 'f16', chunk: [16] });
    const rps = renderPrograms(h, planOf(h));
    expect(rps.map((r) => `${r.program.impl}/${r.program.io}`)).toEqual(['mask/f16', 'mask/f32', 'varlen/f16', 'varlen/f32']);
    const f16 = rps[0].sources[rps[0].program.kernels.find((k) => k.stage === 'fwd_o')!.id];
    expect(f16).toMatch(/^enable f16;$/m);
    expect(f16).toMatch(/array<f16>/);
  });

  it('embeds exactly the .wgsl files in the shaders module', () => {
    const files = renderFiles(spec, plan);
    const shaders = files.find((f) => f.path === shadersFileName(spec))!.contents;
    for (const f of files.filter((x) => x.path.endsWith('.wgsl'))) expect(shaders).toContain(JSON.stringify(f.contents));
  });

  it('rejects gdn specs naming the supported rules', () => {
    const g = makeSpec({ update: 'gdn', chunk: [16], keyDim: 16, valueDim: 16 });
    expect(() => backend.render(g, planOf(g, { BK: 16 }))).toThrow(/update rule 'gdn'.*supported: gla, decay, linear/);
  });

  it('checks the binding budget and workgroup storage at generation time, naming the values', () => {
    const s = makeSpec({ chunk: [64], keyDim: 128, valueDim: 128 });
    const p = planOf(s, { BK: 128, BV: 128 });
    expect(() => buildProgram(s, p, p.impls[0], 'f32', templateSet().hashes)).toThrow(/needs \d+ bytes of workgroup storage at chunk 64, BK 128, BV 128, threads 128; WebGPU guarantees 16384/);
    const t = planOf(s, { threads: 512 });
    expect(() => buildProgram(s, t, t.impls[0], 'f32', templateSet().hashes)).toThrow(/threads 512/);
  });

  it('translates size expressions to JS with floor division (host sizes = evalSize)', () => {
    const c = planOf(makeSpec({ route: { logits: 'per_head' }, chunk: [32] })).consts;
    for (const impl of ['mask', 'varlen'] as const) {
      for (const [, size] of Object.entries(wgslSizes(impl, c))) {
        const f = new Function('s', `return ${sizeToJs(size)};`) as (s: { B: number; T: number; S: number }) => number;
        for (const env of [{ B: 1, T: 1, S: 1 }, { B: 3, T: 77, S: 3 }, { B: 1, T: 1000, S: 17 }]) expect(f(env)).toBe(evalSize(size, env));
      }
    }
  });
});

describe('generated TypeScript module', () => {
  it('type-checks under strict tsc with @webgpu/types (mask + varlen, own routed inputs, f16 variants)', () => {
    const dir = join(ROOT, 'build', '.test', 'wgsl-tsc');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const roots: string[] = [];
    for (const [i, s] of [makeSpec({ chunk: [16] }), makeSpec({ dtype: 'f16', update: 'decay', state: { partitions: 0 }, chunk: [16] })].entries()) {
      const sub = join(dir, `m${i}`);
      writeIfDifferent(sub, renderFiles(s, planOf(s)));
      roots.push(join(sub, moduleFileName(s)));
      expect(className(s)).toBe('TestWgsl');
    }
    const program = ts.createProgram(roots, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      noUnusedLocals: true,
      skipLibCheck: true,
      types: ['@webgpu/types'],
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diags).toEqual([]);
  });
});
