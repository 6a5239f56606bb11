/**
 * The hand-derived recurrent backward against central finite differences of the recurrent forward
 * (f64, eps 1e-6, relative RMS < 1e-6 per gradient), for every update rule and option combination.
 */
import { describe, expect, it } from 'vitest';
import type { UpdateRule } from '../../dsl/kernel-spec.js';
import { compareTensor, randomCotangents, randomInputs, referenceBackward } from '../../dsl/reference/index.js';
import type { ProblemShape } from '../../dsl/tensors.js';
import { makeSpec, type SpecOverrides } from '../helpers/spec.js';
import { expectClose, finiteDifferences, label } from './helpers.js';

interface Case {
  spec: SpecOverrides;
  shape: ProblemShape;
}

/** Six configurations per rule, together covering every option. */
const CASES: Case[] = [
  {
    spec: { heads: 2, keyDim: 5, valueDim: 3, state: { shared: true, partitions: 3, routedInputs: 'own' }, route: { logits: 'per_token', write: 1, read: 2, scaleK: true, scaleQ: true } },
    shape: { B: 2, T: 9 },
  },
  {
    spec: { heads: 2, keyDim: 3, valueDim: 4, state: { shared: false, partitions: 2, routedInputs: 'shared' }, route: { logits: 'per_head', write: 2, read: 1, scaleK: false, scaleQ: false } },
    shape: { B: 1, T: 9, cuSeqlens: [0, 1, 5, 9] },
  },
  {
    spec: { heads: 2, keyDim: 4, valueDim: 2, state: { shared: true, partitions: 1, routedInputs: 'shared' }, route: { logits: 'per_head', write: 1, read: 1, scaleK: true, scaleQ: false } },
    shape: { B: 2, T: 1 },
  },
  {
    spec: { heads: 2, keyDim: 3, valueDim: 5, state: { shared: true, partitions: 0 }, initialState: false, finalState: false },
    shape: { B: 2, T: 6 },
  },
  {
    spec: { heads: 1, keyDim: 4, valueDim: 4, state: { shared: false, partitions: 3, routedInputs: 'own' }, route: { logits: 'per_token', write: 2, read: 3, scaleK: false, scaleQ: true }, initialState: false },
    shape: { B: 1, T: 8, cuSeqlens: [0, 4, 5, 8] },
  },
  {
    spec: { heads: 1, keyDim: 2, valueDim: 3, state: { shared: true, partitions: 3, routedInputs: 'own' }, route: { logits: 'per_head', write: 3, read: 1, scaleK: true, scaleQ: true }, finalState: false },
    shape: { B: 2, T: 7 },
  },
];

const RULES: UpdateRule[] = ['gla', 'decay', 'linear', 'gdn'];

describe('recurrent backward vs central finite differences (rel RMS < 1e-6)', () => {
  for (const update of RULES) {
    CASES.forEach((c, i) => {
      const spec = makeSpec({ ...c.spec, update });
      it(label(spec, c.shape), () => {
        const inputs = randomInputs(spec, c.shape, 100 + i);
        const cot = randomCotangents(spec, c.shape, 200 + i);
        const grads = referenceBackward(spec, c.shape, inputs, cot);
        const fd = finiteDifferences(spec, c.shape, inputs, cot);
        expectClose(fd, grads, 1e-6, label(spec, c.shape));
      });
    });
  }

  it('the check can fail: a gradient off by 1e-4 relative is rejected', () => {
    const spec = makeSpec({ update: 'gdn' });
    const shape = { B: 1, T: 4 };
    const inputs = randomInputs(spec, shape, 1);
    const cot = randomCotangents(spec, shape, 2);
    const grads = referenceBackward(spec, shape, inputs, cot);
    const fd = finiteDifferences(spec, shape, inputs, cot);
    const wrong = grads.dg.map((x) => x * (1 + 1e-4));
    expect(compareTensor('dg', fd.dg, grads.dg, 1e-6).pass).toBe(true);
    expect(compareTensor('dg', fd.dg, wrong, 1e-6).pass).toBe(false);
  });
});

describe('recurrent backward vs finite differences: full option matrix (B2 T5 / varlen[0,2,3,6], H2 K3 V2 N2)', () => {
  for (const update of RULES)
    for (const shared of [true, false])
      for (const routedInputs of ['own', 'shared'] as const)
        for (const scaled of [true, false])
          for (const logits of ['per_token', 'per_head'] as const)
            for (const varlen of [false, true]) {
              const spec = makeSpec({
                update,
                heads: 2,
                keyDim: 3,
                valueDim: 2,
                state: { shared, partitions: 2, routedInputs },
                route: { logits, write: 1, read: 2, scaleK: scaled, scaleQ: scaled },
              });
              const shape: ProblemShape = varlen ? { B: 1, T: 6, cuSeqlens: [0, 2, 3, 6] } : { B: 2, T: 5 };
              it(label(spec, shape), () => {
                const inputs = randomInputs(spec, shape, 7);
                const cot = randomCotangents(spec, shape, 8);
                expectClose(finiteDifferences(spec, shape, inputs, cot), referenceBackward(spec, shape, inputs, cot), 1e-6, label(spec, shape));
              });
            }
});
