/** Routing: softmax, top-k with ties to the lower index, weights and masks, softmax backward. */
import { describe, expect, it } from 'vitest';
import { route, softmaxBackward, topK } from '../../dsl/reference/index.js';
import { makeSpec } from '../helpers/spec.js';

describe('route', () => {
  it('ties break to the lower partition index (B1 T3 N4 kw2 kr3)', () => {
    const spec = makeSpec({ state: { shared: true, partitions: 4 }, route: { write: 2, read: 3, scaleK: false, scaleQ: false } });
    // token 0: all equal → W = {0,1}, R = {0,1,2}; token 1: 3 ties at the top (1,2,3) → W = {1,2}, R = {1,2,3};
    // token 2: top at 3, tie (0,2) below → W = {3,0}, R = {3,0,2}
    const e = Float64Array.from([0, 0, 0, 0, -1, 2, 2, 2, 1, -3, 1, 5]);
    const r = route(spec, { B: 1, T: 3 }, e)!;
    expect(Array.from(r.writers)).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1]);
    expect(Array.from(r.readers)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1]);
    expect(Array.from(r.write)).toEqual(Array.from(r.writers));
    expect(Array.from(r.read)).toEqual(Array.from(r.readers));
    expect(topK([1, 3, 3, 2], 0, 4, 2)).toEqual([1, 2]);
  });

  it('weights: p on the selected partitions when scaled, 0 elsewhere; softmax rows sum to 1 (B2 T2 H2 N3 per_head)', () => {
    const spec = makeSpec({ heads: 2, state: { partitions: 3 }, route: { logits: 'per_head', write: 1, read: 2, scaleK: true, scaleQ: true } });
    const e = Float64Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => Math.sin(i * 1.7) * 3);
    const r = route(spec, { B: 2, T: 2 }, e)!;
    expect(r.p.length).toBe(24);
    for (let row = 0; row < 8; row++) {
      const p = Array.from(r.p.slice(row * 3, row * 3 + 3));
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      const ex = Array.from(e.slice(row * 3, row * 3 + 3)).map(Math.exp);
      const z = ex.reduce((a, b) => a + b, 0);
      p.forEach((x, i) => expect(x).toBeCloseTo(ex[i] / z, 14));
      const order = [0, 1, 2].sort((a, b) => p[b] - p[a]);
      for (let i = 0; i < 3; i++) {
        expect(r.writers[row * 3 + i]).toBe(i === order[0] ? 1 : 0);
        expect(r.readers[row * 3 + i]).toBe(i === order[2] ? 0 : 1);
        expect(r.write[row * 3 + i]).toBe(r.writers[row * 3 + i] ? p[i] : 0);
        expect(r.read[row * 3 + i]).toBe(r.readers[row * 3 + i] ? p[i] : 0);
      }
    }
  });

  it('N=1: the only partition always writes and reads with p = 1', () => {
    const spec = makeSpec({ state: { partitions: 1 }, route: { write: 1, read: 1 } });
    const r = route(spec, { B: 1, T: 3 }, Float64Array.from([5, -2, 0.3]))!;
    expect(Array.from(r.p)).toEqual([1, 1, 1]);
    expect(Array.from(r.writers)).toEqual([1, 1, 1]);
  });

  it('returns null without routed partitions; rejects k outside [1, N]', () => {
    expect(route(makeSpec({ state: { partitions: 0 } }), { B: 1, T: 2 }, new Float64Array(0))).toBeNull();
    expect(() => route(makeSpec({ state: { partitions: 2 }, route: { write: 3 } }), { B: 1, T: 1 }, new Float64Array(2))).toThrow(/k_w 3/);
  });

  it('softmax backward matches finite differences (N4, 3 rows)', () => {
    const N = 4;
    const e = Float64Array.from({ length: 12 }, (_, i) => Math.cos(i * 0.9) * 2);
    const dp = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.3));
    const softmax = (x: Float64Array) => {
      const p = new Float64Array(x.length);
      for (let o = 0; o < x.length; o += N) {
        const z = Array.from(x.slice(o, o + N)).reduce((a, b) => a + Math.exp(b), 0);
        for (let i = 0; i < N; i++) p[o + i] = Math.exp(x[o + i]) / z;
      }
      return p;
    };
    const lossOf = (x: Float64Array) => softmax(x).reduce((a, p, i) => a + p * dp[i], 0);
    const de = softmaxBackward(softmax(e), dp, N);
    for (let i = 0; i < 12; i++) {
      const xp = e.slice();
      xp[i] += 1e-6;
      const xm = e.slice();
      xm[i] -= 1e-6;
      expect(de[i]).toBeCloseTo((lossOf(xp) - lossOf(xm)) / 2e-6, 9);
    }
  });
});
