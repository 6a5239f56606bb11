/**
 * Every example spec at its real sizes (heads, K, V, partitions, routing, layout, states), both impls,
 * against the float64 reference: forward output, final state, every gradient. The plan uses chunk 16
 * (2 chunks of T = 24, the last partial) to keep SwiftShader's pipeline compilation short; the
 * examples' own chunk-64 kernels are golden-tested in render.test.ts and chunk 64/128 kernels are
 * checked numerically in kernels.test.ts. Examples the WGSL target does not support (by
 * WGSL_CAPABILITIES) are listed as skipped with the reason.
 */
import { describe, expect, it } from 'vitest';
import type { ProblemShape } from '../../dsl/tensors.js';
import { WGSL_CAPABILITIES } from '../../targets/wgsl/program.js';
import { checkDevice, examples, gpuGate, planOf, shapeLabel, supported, reportGate } from './helpers.js';
import { seedFor } from '../helpers/seed.js';

const gate = await gpuGate();
const SHAPE: ProblemShape = { B: 1, T: 24 };

reportGate(gate, it, it.skip);

describe.runIf(gate.run)(`WGSL examples vs float64 reference on ${gate.device}`, () => {
  for (const ex of examples()) {
    const { spec } = ex;
    const why = supported(spec) ? '' : ` — skipped: the WGSL target declares update '${spec.update}' unsupported (WGSL_CAPABILITIES.updates.${spec.update} = ${WGSL_CAPABILITIES.updates[spec.update]})`;
    describe(`${ex.file} H=${spec.heads} K=${spec.keyDim} V=${spec.valueDim} N=${spec.state.partitions}${why}`, () => {
      for (const impl of spec.impls) {
        it.runIf(supported(spec))(`${impl} ${shapeLabel(SHAPE)} chunk=16`, async () => {
          const r = await checkDevice(spec, planOf(spec, { chunk: 16 }), impl, SHAPE, { seed: seedFor(5) });
          expect(r.failures, r.failures.join('\n')).toEqual([]);
        });
      }
    });
  }
});
