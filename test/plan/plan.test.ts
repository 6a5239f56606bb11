import { describe, expect, it } from 'vitest';
import { buildPlan, checkConfig, defaultConfig, kernelId, planSizes, planConstants } from '../../codegen/plan.js';
import { evalSize } from '../../codegen/expr.js';
import { costReport, DEVICE_PROFILES } from '../../codegen/cost.js';
import { makeSpec, type SpecOverrides } from '../helpers/spec.js';

const variants: [string, SpecOverrides][] = [
  ['gla N4 top1 shared', {}],
  ['linear no routing', { update: 'linear', state: { shared: true, partitions: 0, routedInputs: 'shared' }, route: null }],
  ['decay N6 kw2 kr1 own', { update: 'decay', state: { shared: true, partitions: 6, routedInputs: 'own' }, route: { logits: 'per_token', write: 2, read: 1, scaleK: true, scaleQ: true } }],
  ['gla N3 per_head no shared', { state: { shared: false, partitions: 3, routedInputs: 'shared' }, route: { logits: 'per_head', write: 1, read: 2, scaleK: true, scaleQ: false } }],
];

describe('kernel plan', () => {
  for (const [label, over] of variants) {
    const spec = makeSpec(over);
    const plan = buildPlan(spec);
    for (const ip of plan.impls) {
      it(`${label} / ${ip.impl}: every stage reads only buffers that exist and were written earlier or are inputs`, () => {
        const names = new Set(ip.buffers.map((b) => b.name));
        const available = new Set(ip.buffers.filter((b) => b.kind === 'input' || b.kind === 'cotangent').map((b) => b.name));
        for (const st of [...ip.forward, ...ip.backward]) {
          for (const r of st.reads) {
            expect(names.has(r), `${st.name} reads undeclared ${r}`).toBe(true);
            expect(available.has(r), `${st.name} reads ${r} before any stage writes it`).toBe(true);
          }
          for (const w of st.writes) {
            expect(names.has(w), `${st.name} writes undeclared ${w}`).toBe(true);
            available.add(w);
          }
        }
        // every output and gradient is written by some stage
        for (const b of ip.buffers.filter((x) => x.kind === 'output' || x.kind === 'gradient')) {
          expect([...ip.forward, ...ip.backward].some((s) => s.writes.includes(b.name)), `${b.name} never written`).toBe(true);
        }
      });

      it(`${label} / ${ip.impl}: buffer shapes and grids evaluate for batched and varlen sizes`, () => {
        for (const env of [{ B: 2, T: 100, S: 2 }, { B: 1, T: 77, S: 5 }, { B: 1, T: 1, S: 1 }]) {
          for (const b of ip.buffers) for (const d of b.shape) expect(evalSize(d, env)).toBeGreaterThanOrEqual(1);
          for (const st of [...ip.forward, ...ip.backward]) for (const g of st.grid) expect(evalSize(g, env)).toBeGreaterThanOrEqual(1);
        }
      });
    }
  }

  it('the chunk-table capacity bounds the chunks of any split into sequences', () => {
    const spec = makeSpec({});
    const c = planConstants(spec, { ...defaultConfig(spec), chunk: 16 });
    const s = planSizes(c);
    const rand = (n: number) => Math.floor(Math.random() * n);
    for (let trial = 0; trial < 200; trial++) {
      const S = 1 + rand(20);
      const lens = Array.from({ length: S }, () => 1 + rand(70));
      const T = lens.reduce((a, b) => a + b, 0);
      const chunks = lens.reduce((a, l) => a + Math.ceil(l / 16), 0);
      expect(evalSize(s.SEQ_CHUNKS, { B: 1, T, S })).toBeGreaterThanOrEqual(chunks);
      // routed: each token lands in TOUCH partitions; segments are (sequence, partition)
      const routedChunksWorst = lens.reduce((a, l) => a + c.N * Math.ceil(l / 16), 0);
      expect(evalSize(s.CHUNKS, { B: 1, T, S })).toBeGreaterThanOrEqual(chunks + Math.min(routedChunksWorst, Math.ceil((T * c.TOUCH) / 16) + S * c.N));
    }
  });

  it('legality messages name the values', () => {
    const spec = makeSpec({ chunk: [64], keyDim: 64, valueDim: 64 });
    expect(checkConfig(spec, { chunk: 32, BK: 64, BV: 64, threads: 128 })[0].message).toMatch(/chunk 32 is not among the spec's chunk sizes \[64\]/);
    expect(checkConfig(spec, { chunk: 64, BK: 48, BV: 64, threads: 128 })[0].message).toMatch(/BK 48 must be one of/);
    const gdn = makeSpec({ update: 'gdn', keyDim: 128, valueDim: 64 });
    expect(defaultConfig(gdn).BK).toBe(128);
    expect(checkConfig(gdn, defaultConfig(gdn))).toEqual([]);
    expect(checkConfig(gdn, { ...defaultConfig(gdn), BK: 64 })[0].message).toMatch(/gdn needs the whole key dimension in one tile: BK 64 < key_dim 128/);
    expect(checkConfig(spec, { chunk: 64, BK: 64, BV: 64, threads: 100 }).map((i) => i.message).join()).toMatch(/threads 100/);
    expect(checkConfig(spec, defaultConfig(spec))).toEqual([]);
  });

  it('kernel identity depends on compile-time parameters only', () => {
    const spec = makeSpec({});
    const a = buildPlan(spec, { ...defaultConfig(spec) });
    const b = buildPlan(spec, { ...defaultConfig(spec), BV: 32 });
    expect(kernelId(a, 'mask', 'fwd_o', 'wgsl')).toBe(kernelId(buildPlan(spec), 'mask', 'fwd_o', 'wgsl'));
    expect(kernelId(a, 'mask', 'fwd_o', 'wgsl')).not.toBe(kernelId(b, 'mask', 'fwd_o', 'wgsl'));
    expect(kernelId(a, 'mask', 'fwd_o', 'wgsl')).not.toBe(kernelId(a, 'varlen', 'fwd_o', 'wgsl'));
    expect(kernelId(a, 'mask', 'fwd_o', 'wgsl')).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
  });
});

describe('cost model', () => {
  it('reproduces the published floors of config A on the H100 profile (0.21 ms mask, 0.13 ms varlen)', () => {
    const spec = makeSpec({
      heads: 6, keyDim: 256, valueDim: 256, dtype: 'bf16', update: 'gla',
      state: { shared: true, partitions: 4, routedInputs: 'own' },
      route: { logits: 'per_token', write: 1, read: 1, scaleK: true, scaleQ: true },
    });
    const r = costReport(spec, { B: 4, T: 4096 }, 64, DEVICE_PROFILES.h100);
    const mask = r.impls.find((i) => i.impl === 'mask')!;
    const varlen = r.impls.find((i) => i.impl === 'varlen')!;
    expect(mask.forward.floor * 1e3).toBeCloseTo(0.21, 1);
    expect(mask.forward.bound).toBe('compute');
    expect(varlen.forward.floor * 1e3).toBeCloseTo(0.13, 1);
    expect(varlen.forward.bound).toBe('memory');
  });
});
