/**
 * Conditioning of a GPU case (CPU only, float64 reference): how far the reference's own outputs and gradients move
 * when q, k, v (and the routed qr, kr) move by bf16-rounding-sized relative noise (uniform within ±2^-9). A tensor
 * that moves by about the bf16 tolerance here cannot be held to it by any kernel that rounds its operands to bf16.
 *
 *   npx tsx test/gpu/conditioning.ts <case name> [B] [T]     # shape overrides, e.g. ... wg_decay_bf16_K256_V64_N16_T1 2 1
 */
import { roundInputs } from '../../codegen/harness.js';
import { referenceBackward, referenceForward } from '../../dsl/reference/index.js';
import { randomCotangents, randomInputs } from '../../dsl/reference/random.js';
import { makeSpec } from '../helpers/spec.js';
import { CASES } from './cases.js';

const [name, B, T] = process.argv.slice(2);
const c = CASES.find((x) => x.name === name);
if (!c) {
  console.error(`usage: conditioning.ts <case> [B] [T]; cases: ${CASES.map((x) => x.name).join(', ')}`);
  process.exit(2);
}
const shape = { ...c.shape, ...(B ? { B: Number(B) } : {}), ...(T ? { T: Number(T) } : {}) };
const spec = makeSpec({ name: c.name, ...c.spec });
const inputs = roundInputs(spec, randomInputs(spec, shape, 1234, { gateScale: c.gateScale }));
const cot = roundInputs(spec, randomCotangents(spec, shape, 1235));
const run = (x: typeof inputs) => ({ ...referenceForward(spec, shape, x), ...referenceBackward(spec, shape, x, cot) }) as Record<string, ArrayLike<number>>;
const ref = run(inputs);
const relRms = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let n = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    n += (a[i] - b[i]) ** 2;
    d += b[i] ** 2;
  }
  return d === 0 ? (n === 0 ? 0 : Infinity) : Math.sqrt(n / d);  // a tensor that is 0 (dg of one token) stays 0
};
const moved: Record<string, number[]> = {};
for (let draw = 0; draw < 4; draw++) {
  let s = 777 + draw;
  const noise = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 2 ** -8;
  };
  const perturbed = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, ['q', 'k', 'v', 'qr', 'kr'].includes(k) ? Float64Array.from(v as ArrayLike<number>, (x) => x * (1 + noise())) : v]),
  ) as typeof inputs;
  const out = run(perturbed);
  for (const k of Object.keys(ref)) (moved[k] ??= []).push(relRms(out[k], ref[k]));
}
console.log(`${c.name} at B=${shape.B}, T=${shape.T}: relative RMS change of the float64 reference under bf16-sized input noise (4 draws)`);
for (const [k, v] of Object.entries(moved)) console.log(`  ${k.padEnd(4)} ${v.map((x) => x.toExponential(1)).join('  ')}`);
