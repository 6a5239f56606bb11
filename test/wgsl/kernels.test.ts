/**
 * WGSL kernels against the float64 recurrent reference, on whatever adapter Dawn finds
 * (SwiftShader on CI). Small specs cover the awkward cases: T not a multiple of the chunk, T = 1,
 * varlen segments of length 1, a partition no token selects, k_w ≠ k_r, N = 1, N = 16 with top-2,
 * K ≠ V, per_head logits, BHTD, scalar and no decay, chunks 16/32/64/128, partial K / V tiles and
 * 32 / 64 invocations (several state-pass items per invocation); mask and varlen agree,
 * varlen is bitwise reproducible, and every output element is written (outputs are poisoned).
 */
import { describe, expect, it } from 'vitest';
import type { Impl, KernelSpec } from '../../dsl/kernel-spec.js';
import type { ProblemShape } from '../../dsl/tensors.js';
import type { HostTensors } from '../../codegen/target.js';
import { compareTensor } from '../../dsl/reference/index.js';
import { makeSpec } from '../helpers/spec.js';
import type { TuningConfig } from '../../codegen/plan.js';
import { checkDevice, gpuGate, planOf, shapeLabel, supported, reportGate } from './helpers.js';
import { seedFor } from '../helpers/seed.js';

const gate = await gpuGate();

/** Logits so that routed partition `i` is never selected (for any k_w, k_r < N). */
const unselect = (spec: KernelSpec, i: number) => (inputs: HostTensors) => {
  const N = spec.state.partitions;
  for (let r = i; r < inputs.e.length; r += N) inputs.e[r] = -30;
};

interface Case {
  name: string;
  spec: KernelSpec;
  /** Tuning overrides (tile sizes, invocations); the spec's defaults otherwise. */
  config?: Partial<TuningConfig>;
  shapes: { shape: ProblemShape; note?: string; mutate?: (x: HostTensors) => void }[];
}

const glaOwn = makeSpec({ chunk: [16] });
const decayPerHead = makeSpec({
  update: 'decay',
  keyDim: 8,
  valueDim: 5,
  heads: 2,
  layout: 'BHTD',
  chunk: [32],
  state: { partitions: 3, routedInputs: 'shared' },
  route: { logits: 'per_head', write: 2, read: 1 },
});
const linearN16 = makeSpec({
  update: 'linear',
  heads: 1,
  keyDim: 8,
  valueDim: 8,
  chunk: [16],
  initialState: false,
  state: { partitions: 16 },
  route: { write: 2, read: 2 },
});
const n1 = makeSpec({ chunk: [16], state: { shared: false, partitions: 1 }, route: { write: 1, read: 1, scaleQ: false } });
const plain = makeSpec({ keyDim: 16, valueDim: 16, chunk: [64], state: { partitions: 0 }, finalState: false });
const tiles = makeSpec({ heads: 1, keyDim: 40, valueDim: 36, chunk: [32], state: { partitions: 2 } });
const tiny = makeSpec({ heads: 1, keyDim: 64, valueDim: 16, chunk: [16], state: { partitions: 2 }, route: { write: 1, read: 2 } });
const wide = makeSpec({ keyDim: 8, valueDim: 8, heads: 1, chunk: [128], state: { partitions: 3 }, route: { write: 1, read: 1, scaleK: false } });

const CASES: Case[] = [
  {
    name: 'gla own-inputs H=2 K=4 V=3 N=2 kw=1 kr=2 chunk=16',
    spec: glaOwn,
    shapes: [{ shape: { B: 2, T: 37 } }, { shape: { B: 1, T: 1 } }, { shape: { B: 1, T: 50, cuSeqlens: [0, 1, 17, 18, 50] }, note: 'length-1 segments' }],
  },
  {
    name: 'decay per_head BHTD H=2 K=8 V=5 N=3 kw=2 kr=1 chunk=32',
    spec: decayPerHead,
    shapes: [
      { shape: { B: 2, T: 45 } },
      { shape: { B: 1, T: 70 }, note: 'partition 2 selected by no token', mutate: unselect(decayPerHead, 2) },
    ],
  },
  {
    name: 'linear H=1 K=8 V=8 N=16 top-2 chunk=16',
    spec: linearN16,
    shapes: [{ shape: { B: 1, T: 40 } }, { shape: { B: 1, T: 40, cuSeqlens: [0, 3, 40] } }],
  },
  { name: 'gla no-shared N=1 chunk=16', spec: n1, shapes: [{ shape: { B: 2, T: 20 } }] },
  { name: 'gla plain (N=0) K=16 V=16 chunk=64', spec: plain, shapes: [{ shape: { B: 1, T: 100 } }] },
  {
    // partial K and V tiles (K = 40 over BK 32, V = 36 over BV 16), one state-pass item per invocation
    name: 'gla H=1 K=40 V=36 N=2 chunk=32, BK 32, BV 16, 64 invocations',
    spec: tiles,
    config: { BK: 32, BV: 16, threads: 64 },
    shapes: [{ shape: { B: 2, T: 75 } }, { shape: { B: 1, T: 70, cuSeqlens: [0, 33, 34, 70] } }],
  },
  {
    // four state-pass items and two operand-slice segments per invocation
    name: 'gla H=1 K=64 V=16 N=2 kw=1 kr=2 chunk=16, BK 64, BV 16, 32 invocations',
    spec: tiny,
    config: { BK: 64, BV: 16, threads: 32 },
    shapes: [{ shape: { B: 1, T: 41 } }],
  },
  {
    name: 'gla H=1 K=8 V=8 N=3 top-1 chunk=128',
    spec: wide,
    shapes: [{ shape: { B: 1, T: 131 }, note: 'partition 0 selected by no token', mutate: unselect(wide, 0) }],
  },
];

reportGate(gate, it, it.skip);

describe.runIf(gate.run)(`WGSL kernels vs float64 reference on ${gate.device}`, () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const plan = planOf(c.spec, c.config);
      for (const impl of c.spec.impls) {
        for (const s of c.shapes) {
          it.runIf(supported(c.spec))(`${impl} ${shapeLabel(s.shape)}${s.note ? ` (${s.note})` : ''}`, async () => {
            const r = await checkDevice(c.spec, plan, impl, s.shape, { seed: seedFor(11), mutate: s.mutate });
            expect(r.failures, r.failures.join('\n')).toEqual([]);
          });
        }
      }
    });
  }

  describe('impls and runs', () => {
    const spec = glaOwn;
    const plan = planOf(spec);
    const shape: ProblemShape = { B: 2, T: 37 };
    const run = async (impl: Impl) => (await checkDevice(spec, plan, impl, shape, { seed: seedFor(3) })).tensors;

    it(`mask and varlen agree B=${shape.B},T=${shape.T}`, async () => {
      const [m, v] = [await run('mask'), await run('varlen')];
      for (const name of Object.keys(m)) {
        const c = compareTensor(name, m[name], v[name], 1e-5);
        expect(c.pass, `${name}: mask vs varlen relRms ${c.relRms}`).toBe(true);
      }
    });

    it(`varlen is bitwise reproducible B=${shape.B},T=${shape.T} and cu_seqlens=0,1,17,18,50`, async () => {
      for (const sh of [shape, { B: 1, T: 50, cuSeqlens: [0, 1, 17, 18, 50] }]) {
        const a = (await checkDevice(spec, plan, 'varlen', sh, { seed: seedFor(9) })).tensors;
        const b = (await checkDevice(spec, plan, 'varlen', sh, { seed: seedFor(9) })).tensors;
        for (const name of Object.keys(a)) {
          const diff = a[name].findIndex((x, i) => !Object.is(x, b[name][i]));
          expect(diff, `${name} differs at element ${diff} between two runs`).toBe(-1);
        }
      }
    });
  });
});
