/**
 * The chunked reference (mask and varlen forms) against the recurrent reference: forward outputs,
 * final states and every gradient to 1e-10 relative RMS, for every update rule.
 */
import { describe, expect, it } from 'vitest';
import type { UpdateRule } from '../../dsl/kernel-spec.js';
import { partitionCount } from '../../dsl/kernel-spec.js';
import {
  chunkedBackward,
  chunkedForward,
  chunkedTrace,
  randomCotangents,
  randomInputs,
  referenceBackward,
  referenceForward,
  route,
} from '../../dsl/reference/index.js';
import type { ProblemShape } from '../../dsl/tensors.js';
import { makeSpec, type SpecOverrides } from '../helpers/spec.js';
import { expectClose, label } from './helpers.js';

const RULES: UpdateRule[] = ['gla', 'decay', 'linear', 'gdn'];
const IMPLS = ['mask', 'varlen'] as const;

interface Case {
  spec: SpecOverrides;
  shape: ProblemShape;
  chunks: number[];
}

const CASES: Case[] = [
  // T not a multiple of the chunk: 37 = 2·16 + 5 = 32 + 5.
  {
    spec: { heads: 2, keyDim: 5, valueDim: 4, state: { shared: true, partitions: 3, routedInputs: 'own' }, route: { logits: 'per_token', write: 1, read: 2 } },
    shape: { B: 2, T: 37 },
    chunks: [16, 32],
  },
  // varlen with a length-1 sequence; per_head logits; write 2 read 1.
  {
    spec: { heads: 2, keyDim: 4, valueDim: 6, state: { shared: false, partitions: 3, routedInputs: 'shared' }, route: { logits: 'per_head', write: 2, read: 1, scaleK: false, scaleQ: true } },
    shape: { B: 1, T: 53, cuSeqlens: [0, 1, 20, 53] },
    chunks: [16],
  },
  // T = 1.
  {
    spec: { heads: 1, keyDim: 3, valueDim: 3, state: { shared: true, partitions: 2, routedInputs: 'own' }, route: { logits: 'per_token', write: 1, read: 1 } },
    shape: { B: 2, T: 1 },
    chunks: [64],
  },
  // long enough for several 16-chunks per routed segment; unscaled; no initial state.
  {
    spec: { heads: 1, keyDim: 4, valueDim: 3, state: { shared: true, partitions: 2, routedInputs: 'own' }, route: { logits: 'per_head', write: 1, read: 2, scaleK: false, scaleQ: false }, initialState: false },
    shape: { B: 1, T: 70 },
    chunks: [16, 64],
  },
  // plain linear attention (shared only), exact multiple of the chunk.
  { spec: { heads: 2, keyDim: 4, valueDim: 5, state: { shared: true, partitions: 0 }, finalState: false }, shape: { B: 2, T: 32 }, chunks: [16] },
];

describe('chunked reference vs recurrent reference (rel RMS < 1e-10)', () => {
  for (const update of RULES)
    for (const c of CASES) {
      const spec = makeSpec({ ...c.spec, update });
      for (const impl of IMPLS)
        for (const chunk of c.chunks) {
          it(`${impl} C${chunk} ${label(spec, c.shape)}`, () => {
            const inputs = randomInputs(spec, c.shape, 11);
            const cot = randomCotangents(spec, c.shape, 12);
            const ctx = `${impl} C${chunk} ${label(spec, c.shape)}`;
            expectClose(referenceForward(spec, c.shape, inputs), chunkedForward(spec, c.shape, inputs, { impl, chunk }), 1e-10, ctx);
            expectClose(referenceBackward(spec, c.shape, inputs, cot), chunkedBackward(spec, c.shape, inputs, cot, { impl, chunk }), 1e-10, ctx);
          });
        }
    }
});

describe('a routed partition no token selects (N3 kw1 kr1, partition 2 never chosen)', () => {
  for (const update of RULES) {
    const spec = makeSpec({ update, heads: 2, keyDim: 3, valueDim: 4, state: { shared: true, partitions: 3 }, route: { write: 1, read: 1 } });
    const shape = { B: 1, T: 21, cuSeqlens: [0, 9, 21] };
    it(`${label(spec, shape)}: state passes through, chunked equals recurrent`, () => {
      const inputs = randomInputs(spec, shape, 5);
      for (let t = 0; t < shape.T; t++) inputs.e[t * 3 + 2] = -30;
      const routing = route(spec, shape, inputs.e)!;
      for (let t = 0; t < shape.T; t++) expect(routing.writers[t * 3 + 2] + routing.readers[t * 3 + 2]).toBe(0);
      const cot = randomCotangents(spec, shape, 6);
      const ref = referenceForward(spec, shape, inputs);
      const grads = referenceBackward(spec, shape, inputs, cot);
      const P = partitionCount(spec);
      const KV = spec.keyDim * spec.valueDim;
      for (let s = 0; s < 2; s++)
        for (let h = 0; h < spec.heads; h++) {
          const off = ((s * P + 3) * spec.heads + h) * KV; // partition index 3 = routed 2
          expect(Array.from(ref.ht.slice(off, off + KV))).toEqual(Array.from(inputs.h0.slice(off, off + KV)));
          expect(Array.from(grads.dh0.slice(off, off + KV))).toEqual(Array.from(cot.dht.slice(off, off + KV)));
        }
      for (const impl of IMPLS) {
        expectClose(ref, chunkedForward(spec, shape, inputs, { impl, chunk: 16 }), 1e-10, impl);
        expectClose(grads, chunkedBackward(spec, shape, inputs, cot, { impl, chunk: 16 }), 1e-10, impl);
      }
      const trace = chunkedTrace(spec, shape, inputs, { impl: 'varlen', chunk: 16 });
      const empty = trace.streams.filter((st) => st.routed === 2);
      expect(empty.length).toBe(2 * spec.heads);
      for (const st of empty) expect([st.tokens.length, st.chunks.length]).toEqual([0, 0]);
    });
  }
});

describe('chunked trace intermediates (B1 T37 H1 K3 V2, C16)', () => {
  for (const update of RULES) {
    const spec = makeSpec({ update, heads: 1, keyDim: 3, valueDim: 2 });
    const shape = { B: 1, T: 37 };
    it(`${update}: chunk-local G, chunk-start states, causal A, partial last chunk`, () => {
      const inputs = randomInputs(spec, shape, 3);
      for (const impl of IMPLS) {
        const trace = chunkedTrace(spec, shape, inputs, { impl, chunk: 16 });
        const ht = referenceForward(spec, shape, inputs).ht;
        for (const st of trace.streams) {
          expect(st.chunks.reduce((a, c) => a + c.length, 0)).toBe(st.tokens.length);
          st.chunks.forEach((c, i) => {
            expect(c.start).toBe(16 * i);
            expect(c.length).toBe(Math.min(16, st.tokens.length - 16 * i));
            const n = c.length;
            for (let t = 0; t < n; t++) for (let s = t + 1; s < n; s++) expect(c.A[t * n + s]).toBe(0);
            if (c.gdn) for (let t = 0; t < n; t++) expect(c.gdn.T[t * n + t]).toBe(1);
          });
          // chunk 0 starts from h0; the final state matches the recurrent reference
          const KV = spec.keyDim * spec.valueDim;
          const off = (st.partition * spec.heads + st.head) * KV;
          if (st.chunks.length) expect(Array.from(st.chunks[0].hStart)).toEqual(Array.from(inputs.h0.slice(off, off + KV)));
          const err = st.hFinal.reduce((m, x, i) => Math.max(m, Math.abs(x - ht[off + i])), 0);
          expect(err).toBeLessThan(1e-12);
          // G restarts every chunk: G of a chunk's first token is that token's own g̃
          if (update === 'gla' && st.routed === -1)
            for (const c of st.chunks) for (let x = 0; x < spec.keyDim; x++) expect(c.G[x]).toBe(inputs.g[(st.tokens[c.start] * spec.heads + st.head) * spec.keyDim + x]);
        }
      }
    });
  }

  it('mask form has one stream per (sequence, head, partition) over the whole sequence', () => {
    const spec = makeSpec({ heads: 2 });
    const shape = { B: 2, T: 10 };
    const trace = chunkedTrace(spec, shape, randomInputs(spec, shape, 1), { impl: 'mask', chunk: 16 });
    expect(trace.streams.length).toBe(2 * 2 * 3);
    for (const st of trace.streams) expect(st.tokens.length).toBe(10);
  });
});
