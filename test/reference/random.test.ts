/** Seeded inputs: deterministic, machine-independent, complete and in range. */
import { describe, expect, it } from 'vitest';
import { randomCotangents, randomInputs, Rng } from '../../dsl/reference/index.js';
import { backwardCotangents, elementCount, forwardInputs } from '../../dsl/tensors.js';
import { makeSpec } from '../helpers/spec.js';

describe('randomInputs / randomCotangents', () => {
  it('xoshiro128** integer stream is pinned (seed 42, stream "x")', () => {
    const r = new Rng(42, 'x');
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([1993691856, 2708275663, 4033137467]);
  });

  it('pinned values: same seed → same inputs on any machine (seed 7, B1 T2)', () => {
    const inp = randomInputs(makeSpec(), { B: 1, T: 2 }, 7);
    expect(inp.q[0]).toBeCloseTo(1.2710260637742508, 13);
    expect(inp.q[1]).toBeCloseTo(-0.82156677934077849, 13);
    expect(inp.e[0]).toBeCloseTo(-0.81661997178698265, 13);
  });

  it('same seed → identical tensors, different seed → different tensors', () => {
    const spec = makeSpec({ update: 'gdn' });
    const shape = { B: 2, T: 5 };
    const a = randomInputs(spec, shape, 3);
    const b = randomInputs(spec, shape, 3);
    const c = randomInputs(spec, shape, 4);
    for (const k of Object.keys(a)) {
      expect(Array.from(b[k])).toEqual(Array.from(a[k]));
      expect(Array.from(c[k])).not.toEqual(Array.from(a[k]));
    }
  });

  for (const update of ['gla', 'decay', 'linear', 'gdn'] as const) {
    it(`${update}: every forward input and cotangent, right sizes, g ≤ 0, β ∈ (0,1), unit gdn keys (varlen[0,3,7] H2 K4 V3 N2)`, () => {
      const spec = makeSpec({ update });
      const shape = { B: 1, T: 7, cuSeqlens: [0, 3, 7] };
      const inp = randomInputs(spec, shape, 1);
      const cot = randomCotangents(spec, shape, 1);
      const infos = forwardInputs(spec, shape);
      expect(Object.keys(inp).sort()).toEqual(infos.map((i) => i.name).sort());
      for (const i of infos) expect(inp[i.name].length).toBe(elementCount(i));
      for (const i of backwardCotangents(spec, shape)) expect(cot[i.name].length).toBe(elementCount(i));
      for (const g of ['g', 'gr']) if (inp[g]) for (const x of inp[g]) expect(x).toBeLessThanOrEqual(0);
      for (const b of ['beta', 'betar']) if (inp[b]) for (const x of inp[b]) expect(x > 0 && x < 1).toBe(true);
      if (update === 'gdn')
        for (let r = 0; r < inp.k.length; r += 4) expect(Math.hypot(...inp.k.slice(r, r + 4))).toBeCloseTo(1, 14);
    });
  }
});
