/**
 * Workgroup storage of every rendered kernel, read from its `var<workgroup>` declarations: never more
 * than the plan's count (`KernelDef.workgroupBytes`, which the program checks against the 16 KiB every
 * WebGPU adapter guarantees), and within 16 KiB once each variable is rounded up to 16 bytes. Without a
 * GPU: SwiftShader allows 32 KiB, so an undercount there would only fail on a 16 KiB adapter.
 */
import { describe, expect, it } from 'vitest';
import { evalSize } from '../../codegen/expr.js';
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import type { TuningConfig } from '../../codegen/plan.js';
import { WORKGROUP_STORAGE_BUDGET } from '../../targets/wgsl/program.js';
import { renderPrograms } from '../../targets/wgsl/render.js';
import { makeSpec } from '../helpers/spec.js';
import { examples, planOf, supported } from './helpers.js';

/** Integer WGSL constant expression: u-suffixed literals, + - * / % ( ), min/max, earlier constants. */
function evalWgsl(expr: string, env: Record<string, number>): number {
  let e = expr.replace(/\b(\d+)u\b/g, '$1');
  const call = /\b(min|max)\(([^()]*),([^()]*)\)/;
  for (let m = call.exec(e); m; m = call.exec(e)) {
    const a = evalWgsl(m[2], env);
    const b = evalWgsl(m[3], env);
    e = e.slice(0, m.index) + String(m[1] === 'min' ? Math.min(a, b) : Math.max(a, b)) + e.slice(m.index + m[0].length);
  }
  return evalSize(e, env as never);
}

const ELEM: Record<string, number> = { f32: 4, u32: 4, i32: 4, 'vec4<f32>': 16, 'vec2<u32>': 8, 'vec4<u32>': 16 };

/** Bytes of each `var<workgroup>` of a WGSL module (struct ChunkCtx: 8 × u32). */
function declaredWorkgroup(src: string): { name: string; bytes: number }[] {
  const env: Record<string, number> = {};
  for (const m of src.matchAll(/^const (\w+): u32 = ([^;]+);/gm)) {
    try {
      env[m[1]] = evalWgsl(m[2], env);
    } catch {
      // a constant the evaluator does not need (e.g. hexadecimal NONE)
    }
  }
  const out: { name: string; bytes: number }[] = [];
  for (const m of src.matchAll(/^var<workgroup> (\w+): ([^;]+);/gm)) {
    const ty = m[2].trim();
    const arr = /^array<(vec\d<\w+>|\w+), (.+)>$/.exec(ty);
    let bytes: number;
    if (arr) {
      const elem = ELEM[arr[1].trim()];
      if (elem === undefined) throw new Error(`unknown element type ${arr[1]} of ${m[1]}`);
      bytes = elem * evalWgsl(arr[2], env);
    } else if (ty === 'ChunkCtx') bytes = 32;
    else if (ELEM[ty] !== undefined) bytes = ELEM[ty];
    else throw new Error(`unknown workgroup type ${ty} of ${m[1]}`);
    out.push({ name: m[1], bytes });
  }
  return out;
}

interface Case {
  name: string;
  spec: KernelSpec;
  configs: Partial<TuningConfig>[];
}

const chunks = [16, 32, 64, 128] as const;
const threads = [32, 64, 128, 256];
const sweep: Partial<TuningConfig>[] = chunks.flatMap((chunk) => threads.map((t) => ({ chunk, threads: t })));
const cases: Case[] = [
  ...examples()
    .filter((ex) => supported(ex.spec))
    .map((ex) => ({ name: ex.file, spec: { ...ex.spec, chunk: [...chunks] }, configs: sweep })),
  { name: 'gla K=40 V=36, BK 32, BV 16', spec: makeSpec({ heads: 1, keyDim: 40, valueDim: 36, chunk: [...chunks], state: { partitions: 2 } }), configs: sweep.map((c) => ({ ...c, BK: 32, BV: 16 })) },
  { name: 'decay K=8 V=5', spec: makeSpec({ update: 'decay', keyDim: 8, valueDim: 5, chunk: [...chunks] }), configs: sweep },
  { name: 'linear K=8 V=8 N=16', spec: makeSpec({ update: 'linear', heads: 1, keyDim: 8, valueDim: 8, chunk: [...chunks], state: { partitions: 16 } }), configs: sweep },
];

describe('workgroup storage of the rendered kernels', () => {
  for (const c of cases) {
    it(`${c.name}: declarations within the plan's count and the 16 KiB minimum (chunks 16–128, 32–256 invocations)`, () => {
      let checked = 0;
      for (const cfg of c.configs) {
        let programs;
        try {
          programs = renderPrograms(c.spec, planOf(c.spec, cfg));
        } catch (e) {
          // only the legality refusal of invocation counts that do not fit the register tiles is skipped
          if (!/threads \d+ must be a multiple of chunk/.test((e as Error).message)) throw e;
          continue;
        }
        for (const { program, sources } of programs) {
          for (const k of program.kernels) {
            const vars = declaredWorkgroup(sources[k.id]);
            const raw = vars.reduce((a, v) => a + v.bytes, 0);
            const aligned = vars.reduce((a, v) => a + Math.ceil(v.bytes / 16) * 16, 0);
            const where = `${k.id} at chunk ${cfg.chunk}, ${cfg.threads} invocations: ${vars.map((v) => `${v.name} ${v.bytes}`).join(', ')}`;
            expect(raw, where).toBeLessThanOrEqual(k.workgroupBytes);
            expect(aligned, where).toBeLessThanOrEqual(WORKGROUP_STORAGE_BUDGET);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
