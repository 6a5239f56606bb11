/**
 * Renders the CUDA sources of the benchmark configs (fla's SSE-GLA semantics: own routed q/k/g,
 * prob-scaled writes and reads, bf16) into build/bench/<cfg>/; test/bench/cuda_vs_fla.py loads them.
 *   A: B=4, T=4096, H=6, K=V=256, N=4 + shared, top-1     B: B=8, T=2048, H=16, K=V=128, N=8 + shared, top-2
 * THREADS=256 renders the default config with that many threads per block into build/bench/<cfg>-t256
 * (CONFIGS=A-t256 in cuda_vs_fla.py), for comparing tuning configs in one run.
 */
import { buildPlan, defaultConfig } from '../../codegen/plan.js';
import { writeIfDifferent } from '../../codegen/render.js';
import { renderCuda } from '../../targets/cuda/index.js';
import { makeSpec } from '../helpers/spec.js';

const common = { dtype: 'bf16' as const, update: 'gla' as const, initialState: false, finalState: false, chunk: [64 as const], targets: { cuda: { archs: ['sm_90' as const] }, wgsl: false } };
const configs = {
  A: makeSpec({ ...common, name: 'benchA', heads: 6, keyDim: 256, valueDim: 256, state: { shared: true, partitions: 4, routedInputs: 'own' }, route: { logits: 'per_token', write: 1, read: 1, scaleK: true, scaleQ: true } }),
  B: makeSpec({ ...common, name: 'benchB', heads: 16, keyDim: 128, valueDim: 128, state: { shared: true, partitions: 8, routedInputs: 'own' }, route: { logits: 'per_token', write: 2, read: 2, scaleK: true, scaleQ: true } }),
};
const only = (process.env.CONFIGS ?? 'A,B').split(',');
for (const [name, spec] of Object.entries(configs)) {
  if (!only.includes(name)) continue;
  const threads = process.env.THREADS ? Number(process.env.THREADS) : undefined;
  const files = renderCuda(spec, buildPlan(spec, { ...defaultConfig(spec), ...(threads ? { threads } : {}) }));
  const dir = threads ? `build/bench/${name}-t${threads}` : `build/bench/${name}`;
  writeIfDifferent(dir, files);
  console.log(`${name}: ${files[0].path.replace(/\.h$/, '')}`);
}
