/**
 * makeSpec(overrides): a valid, fully resolved KernelSpec for tests, with small defaults
 * (H 2, K 4, V 3, gla, shared + 2 routed partitions with own inputs, per_token top-1 write /
 * top-2 read, both scalings on, initial and final states). `state` and `route` merge field by field;
 * `scale` defaults to 1/sqrt(keyDim); `route` is dropped when partitions = 0 and defaulted otherwise.
 */
import type { KernelSpec, RouteSpec, StateSpec } from '../../dsl/kernel-spec.js';

export type SpecOverrides = Partial<Omit<KernelSpec, 'state' | 'route'>> & {
  state?: Partial<StateSpec>;
  route?: Partial<RouteSpec> | null;
};

export function makeSpec(overrides: SpecOverrides = {}): KernelSpec {
  const { state: so, route: ro, ...rest } = overrides;
  const state: StateSpec = { shared: true, partitions: 2, routedInputs: 'own', ...so };
  const N = state.partitions;
  const keyDim = rest.keyDim ?? 4;
  const route: RouteSpec | null =
    N > 0 ? { logits: 'per_token', write: 1, read: Math.min(2, N), scaleK: true, scaleQ: true, ...(ro ?? {}) } : null;
  const spec: KernelSpec = {
    name: 'test',
    heads: 2,
    keyDim,
    valueDim: 3,
    layout: 'BTHD',
    dtype: 'f32',
    update: 'gla',
    scale: 1 / Math.sqrt(keyDim),
    chunk: [64],
    impls: ['mask', 'varlen'],
    passes: ['forward', 'backward'],
    initialState: true,
    finalState: true,
    targets: { cuda: null, wgsl: false },
    ...rest,
    state,
    route,
  };
  if (spec.state.partitions === 0 && !spec.state.shared) throw new Error('makeSpec: partitions 0 needs the shared partition');
  return spec;
}
