/**
 * The recurrent reference's semantics, pinned by hand-computed cases and identities:
 * update rules, shared/routed inputs, write/read weights, varlen ≡ per-sequence runs.
 */
import { describe, expect, it } from 'vitest';
import { partitionCount } from '../../dsl/kernel-spec.js';
import {
  chunkedBackward,
  chunkedForward,
  randomCotangents,
  randomInputs,
  referenceBackward,
  referenceForward,
  route,
  type TensorMap,
} from '../../dsl/reference/index.js';
import type { ProblemShape } from '../../dsl/tensors.js';
import { makeSpec } from '../helpers/spec.js';
import { expectClose, finiteDifferences, label } from './helpers.js';

const f64 = (...x: number[]) => Float64Array.from(x);

describe('hand-computed recurrences (B1 T2 H1 K1 V1, shared only)', () => {
  const q = [0.7, -1.3];
  const k = [1.1, 0.4];
  const v = [-0.5, 2.0];
  const g = [-0.3, -0.9];
  const beta = [0.6, 0.25];
  const h0 = 0.8;
  const expected: Record<string, (s0: number) => number[]> = {
    gla: () => {
      const s1 = Math.exp(g[0]) * h0 + k[0] * v[0];
      const s2 = Math.exp(g[1]) * s1 + k[1] * v[1];
      return [q[0] * s1, q[1] * s2, s2];
    },
    linear: () => {
      const s1 = h0 + k[0] * v[0];
      const s2 = s1 + k[1] * v[1];
      return [q[0] * s1, q[1] * s2, s2];
    },
    gdn: () => {
      const s1 = Math.exp(g[0]) * (1 - beta[0] * k[0] * k[0]) * h0 + beta[0] * k[0] * v[0];
      const s2 = Math.exp(g[1]) * (1 - beta[1] * k[1] * k[1]) * s1 + beta[1] * k[1] * v[1];
      return [q[0] * s1, q[1] * s2, s2];
    },
  };
  expected.decay = expected.gla;
  for (const update of ['gla', 'decay', 'linear', 'gdn'] as const) {
    it(update, () => {
      const spec = makeSpec({ update, heads: 1, keyDim: 1, valueDim: 1, scale: 1, state: { shared: true, partitions: 0 } });
      const inputs: TensorMap = { q: f64(...q), k: f64(...k), v: f64(...v), h0: f64(h0) };
      if (update !== 'linear') inputs.g = f64(...g);
      if (update === 'gdn') inputs.beta = f64(...beta);
      const out = referenceForward(spec, { B: 1, T: 2 }, inputs);
      const [o0, o1, s2] = expected[update](h0);
      expect(out.o[0]).toBeCloseTo(o0, 14);
      expect(out.o[1]).toBeCloseTo(o1, 14);
      expect(out.ht[0]).toBeCloseTo(s2, 14);
    });
  }
});

describe('routed semantics by hand (B1 T2 H1 K2 V1, shared + N2 own inputs, kw1 kr2, scaled)', () => {
  for (const update of ['decay', 'gdn'] as const) {
    it(`${update}: writers decay and write with a·kr, non-writers untouched, reads weighted by p`, () => {
      const spec = makeSpec({ update, heads: 1, keyDim: 2, valueDim: 1, scale: 0.5, state: { shared: true, partitions: 2, routedInputs: 'own' }, route: { write: 1, read: 2 } });
      const shape = { B: 1, T: 2 };
      const inputs: TensorMap = {
        q: f64(1, 2, -1, 0.5),
        k: f64(0.6, -0.8, 0.8, 0.6),
        v: f64(1.5, -2),
        g: f64(-0.2, -0.4),
        qr: f64(0.3, -0.7, 1.1, 0.2),
        kr: f64(0.28, 0.96, -0.6, 0.8),
        gr: f64(-1.0, -0.5),
        e: f64(1.0, -0.5, -0.3, 0.9), // token 0 writes partition 0, token 1 writes partition 1
        h0: f64(0.1, -0.2, 0.3, 0.05, -0.4, 0.25), // [P=3, K=2, V=1]
      };
      if (update === 'gdn') {
        inputs.beta = f64(0.5, 0.9);
        inputs.betar = f64(0.7, 0.4);
      }
      const p = route(spec, shape, inputs.e)!.p;
      // one step on a K=2, V=1 state with k scaled by a
      const step = (S: number[], kk: number[], a: number, vv: number, gg: number, bb: number) => {
        const ka = kk.map((x) => a * x);
        if (update === 'decay') return S.map((s, i) => Math.exp(gg) * s + ka[i] * vv);
        const u = S[0] * ka[0] + S[1] * ka[1];
        return S.map((s, i) => Math.exp(gg) * (s - bb * ka[i] * u) + bb * ka[i] * vv);
      };
      const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1];
      const beta = inputs.beta ?? f64(1, 1);
      const betar = inputs.betar ?? f64(1, 1);
      let S0 = [0.1, -0.2];
      let S1 = [0.3, 0.05];
      let S2 = [-0.4, 0.25];
      const o: number[] = [];
      // token 0: shared + routed 0
      S0 = step(S0, [0.6, -0.8], 1, 1.5, -0.2, beta[0]);
      S1 = step(S1, [0.28, 0.96], p[0], 1.5, -1.0, betar[0]);
      o.push(0.5 * (dot([1, 2], S0) + p[0] * dot([0.3, -0.7], S1) + p[1] * dot([0.3, -0.7], S2)));
      // token 1: shared + routed 1
      S0 = step(S0, [0.8, 0.6], 1, -2, -0.4, beta[1]);
      S2 = step(S2, [-0.6, 0.8], p[3], -2, -0.5, betar[1]);
      o.push(0.5 * (dot([-1, 0.5], S0) + p[2] * dot([1.1, 0.2], S1) + p[3] * dot([1.1, 0.2], S2)));
      const out = referenceForward(spec, shape, inputs);
      expect(out.o[0]).toBeCloseTo(o[0], 14);
      expect(out.o[1]).toBeCloseTo(o[1], 14);
      [...S0, ...S1, ...S2].forEach((s, i) => expect(out.ht[i]).toBeCloseTo(s, 14));
      for (const impl of ['mask', 'varlen'] as const) expectClose(out, chunkedForward(spec, shape, inputs, { impl, chunk: 16 }), 1e-12, impl);
    });
  }
});

describe('identities', () => {
  for (const update of ['gla', 'decay', 'linear', 'gdn'] as const) {
    it(`${update}: N1 kw1 kr1 unscaled, shared routed inputs, no shared partition ≡ plain single-state layer (B2 T6 H2 K3 V2)`, () => {
      const routed = makeSpec({ update, keyDim: 3, valueDim: 2, state: { shared: false, partitions: 1, routedInputs: 'shared' }, route: { write: 1, read: 1, scaleK: false, scaleQ: false } });
      const plain = makeSpec({ update, keyDim: 3, valueDim: 2, state: { shared: true, partitions: 0 } });
      const shape = { B: 2, T: 6 };
      const inputs = randomInputs(routed, shape, 9);
      const cot = randomCotangents(routed, shape, 10);
      const { e, ...plainInputs } = inputs;
      expectClose(referenceForward(plain, shape, plainInputs), referenceForward(routed, shape, inputs), 1e-15);
      const g = referenceBackward(routed, shape, inputs, cot);
      expect(Array.from(g.de)).toEqual(new Array(e.length).fill(0));
      delete g.de;
      expectClose(referenceBackward(plain, shape, plainInputs, cot), g, 1e-15);
    });
  }

  it('positive log-decay (g > 0) is handled: FD and chunked agree (gla/decay/gdn, B1 T20 H1 K3 V2, C8)', () => {
    for (const update of ['gla', 'decay', 'gdn'] as const) {
      const spec = makeSpec({ update, heads: 1, keyDim: 3, valueDim: 2 });
      const shape = { B: 1, T: 20 };
      const inputs = randomInputs(spec, shape, 4);
      for (const name of ['g', 'gr']) inputs[name] = inputs[name].map((x) => -x * 0.3);
      const cot = randomCotangents(spec, shape, 5);
      const grads = referenceBackward(spec, shape, inputs, cot);
      expectClose(finiteDifferences(spec, shape, inputs, cot), grads, 1e-6, `${update} FD`);
      for (const impl of ['mask', 'varlen'] as const) {
        expectClose(referenceForward(spec, shape, inputs), chunkedForward(spec, shape, inputs, { impl, chunk: 8 }), 1e-10, impl);
        expectClose(grads, chunkedBackward(spec, shape, inputs, cot, { impl, chunk: 8 }), 1e-10, impl);
      }
    }
  });

  it('strong decay stays finite and chunked agrees (gla g·40, B1 T128 H1 K4 V3, C64)', () => {
    const spec = makeSpec({ update: 'gla', heads: 1, keyDim: 4, valueDim: 3 });
    const shape = { B: 1, T: 128 };
    const inputs = randomInputs(spec, shape, 6);
    for (const name of ['g', 'gr']) inputs[name] = inputs[name].map((x) => x * 40);
    const cot = randomCotangents(spec, shape, 7);
    const ref = referenceForward(spec, shape, inputs);
    const grads = referenceBackward(spec, shape, inputs, cot);
    for (const impl of ['mask', 'varlen'] as const) {
      expectClose(ref, chunkedForward(spec, shape, inputs, { impl, chunk: 64 }), 1e-10, impl);
      expectClose(grads, chunkedBackward(spec, shape, inputs, cot, { impl, chunk: 64 }), 1e-10, impl);
    }
  });
});

/** Tokens [bos, eos) of every per-token tensor, and sequence s of every state tensor. */
function sliceSequence(tensors: TensorMap, T: number, bos: number, eos: number, s: number, S: number): TensorMap {
  const out: TensorMap = {};
  for (const [name, x] of Object.entries(tensors)) {
    if (['h0', 'ht', 'dht', 'dh0'].includes(name)) {
      const per = x.length / S;
      out[name] = x.slice(s * per, (s + 1) * per);
    } else {
      const per = x.length / T;
      out[name] = x.slice(bos * per, eos * per);
    }
  }
  return out;
}

describe('varlen packed call ≡ each sequence run separately', () => {
  const cu = [0, 1, 5, 6, 14];
  const shape: ProblemShape = { B: 1, T: 14, cuSeqlens: cu };
  for (const update of ['gla', 'decay', 'linear', 'gdn'] as const)
    for (const logits of ['per_token', 'per_head'] as const) {
      const spec = makeSpec({ update, heads: 2, keyDim: 3, valueDim: 4, state: { shared: true, partitions: 3, routedInputs: 'own' }, route: { logits, write: 2, read: 1 } });
      it(label(spec, shape), () => {
        const inputs = randomInputs(spec, shape, 21);
        const cot = randomCotangents(spec, shape, 22);
        const packedF = referenceForward(spec, shape, inputs);
        const packedB = referenceBackward(spec, shape, inputs, cot);
        const S = cu.length - 1;
        expect(packedF.ht.length).toBe(S * partitionCount(spec) * 2 * 3 * 4);
        for (let s = 0; s < S; s++) {
          const one = { B: 1, T: cu[s + 1] - cu[s] };
          const inp = sliceSequence(inputs, 14, cu[s], cu[s + 1], s, S);
          const ct = sliceSequence(cot, 14, cu[s], cu[s + 1], s, S);
          expectClose(referenceForward(spec, one, inp), sliceSequence(packedF, 14, cu[s], cu[s + 1], s, S), 1e-14, `seq ${s} forward`);
          expectClose(referenceBackward(spec, one, inp, ct), sliceSequence(packedB, 14, cu[s], cu[s + 1], s, S), 1e-14, `seq ${s} backward`);
        }
      });
    }

  it('batched B2 ≡ two B1 runs (gdn, T5 H2 K3 V4 N3)', () => {
    const spec = makeSpec({ update: 'gdn', keyDim: 3, valueDim: 4, state: { partitions: 3 } });
    const two = { B: 2, T: 5 };
    const inputs = randomInputs(spec, two, 1);
    const cot = randomCotangents(spec, two, 2);
    const f = referenceForward(spec, two, inputs);
    const g = referenceBackward(spec, two, inputs, cot);
    for (let b = 0; b < 2; b++) {
      const inp = sliceSequence(inputs, 10, 5 * b, 5 * b + 5, b, 2);
      const ct = sliceSequence(cot, 10, 5 * b, 5 * b + 5, b, 2);
      expectClose(referenceForward(spec, { B: 1, T: 5 }, inp), sliceSequence(f, 10, 5 * b, 5 * b + 5, b, 2), 1e-14);
      expectClose(referenceBackward(spec, { B: 1, T: 5 }, inp, ct), sliceSequence(g, 10, 5 * b, 5 * b + 5, b, 2), 1e-14);
    }
  });

  it('names a missing or mis-sized input; dht may be omitted (= zero)', () => {
    const spec = makeSpec({ update: 'gdn' });
    const shape = { B: 1, T: 3 };
    const inputs = randomInputs(spec, shape, 1);
    const { betar, ...noBetar } = inputs;
    expect(() => referenceForward(spec, shape, noBetar)).toThrow(/missing input betar/);
    expect(() => referenceForward(spec, shape, { ...inputs, v: betar })).toThrow(/input v has 6 elements, expected 18/);
    const cot = randomCotangents(spec, shape, 2);
    const zero = referenceBackward(spec, shape, inputs, { do: cot.do, dht: new Float64Array(cot.dht.length) });
    expectClose(zero, referenceBackward(spec, shape, inputs, { do: cot.do }), 0);
    expectClose(zero, chunkedBackward(spec, shape, inputs, { do: cot.do }, { impl: 'varlen', chunk: 16 }), 1e-10);
  });

  it('rejects inconsistent varlen shapes', () => {
    const spec = makeSpec();
    expect(() => referenceForward(spec, { B: 2, T: 4, cuSeqlens: [0, 4] }, randomInputs(spec, { B: 2, T: 4 }, 1))).toThrow(/B = 1/);
  });
});
