/**
 * AST → KernelSpec: fills every default. Only called on an AST the checks accepted without
 * errors; values go through the same `validate*` functions the checks used.
 *
 * Normal forms (so equivalent specs hash the same): lists are sets in a fixed order (chunk
 * ascending, impl mask/varlen, passes forward/backward, archs in CUDA_ARCHS order); route is null
 * without routed partitions; routed_inputs is 'shared' without routed partitions.
 */
import type { SpecAst } from './ast.js';
import {
  type FieldTable, collectFields, getField, intOf, partitionsOf, validateChunk, validateKernelName,
  validateList, validateScale, validateTargets, validateTop, wordOf,
} from './checks.js';
import type { DType, Impl, KernelSpec, Layout, Pass, RouteSpec, UpdateRule } from './kernel-spec.js';

/** The defaults of every optional field (documented in docs/language.md). */
export const DEFAULTS = {
  layout: 'BTHD' as Layout,
  dtype: 'bf16' as DType,
  shared: true,
  partitions: 0,
  routedInputs: 'shared' as const,
  logits: 'per_token' as const,
  writeTop: 1,
  scaleK: true,
  scaleQ: true,
  chunk: [64] as const,
  impls: ['mask', 'varlen'] as Impl[],
  passes: ['forward', 'backward'] as Pass[],
  initialState: false,
  finalState: false,
  cudaArchs: ['sm_80', 'sm_90'] as const,
  wgsl: true,
};

/** Throws only on a broken invariant (the checks should have rejected the input); index.ts catches. */
function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`resolve: ${what} is missing or invalid after checks passed`);
  return v;
}

export function resolveSpec(ast: SpecAst): KernelSpec {
  const kernel = need(ast.kernel ?? undefined, 'kernel');
  const table: FieldTable = collectFields(kernel, () => {});
  const name = need(kernel.name ? validateKernelName(kernel.name).value : undefined, 'kernel name');
  const heads = need(intOf(table, 'heads'), 'heads');
  const keyDim = need(intOf(table, 'key_dim'), 'key_dim');
  const valueDim = need(intOf(table, 'value_dim'), 'value_dim');
  const partitions = need(partitionsOf(table), 'partitions');
  const onOff = (path: string, dflt: boolean) => {
    const w = wordOf(table, path);
    return w === undefined ? dflt : w === 'on';
  };

  let route: RouteSpec | null = null;
  if (partitions > 0) {
    const wf = getField(table, 'route.write', 'top');
    const rf = getField(table, 'route.read', 'top');
    const write = wf ? need(validateTop(wf, partitions).value, 'route.write') : DEFAULTS.writeTop;
    const read = rf ? need(validateTop(rf, partitions).value, 'route.read') : write;
    route = {
      logits: (wordOf(table, 'route.logits') as RouteSpec['logits'] | undefined) ?? DEFAULTS.logits,
      write,
      read,
      scaleK: (wordOf(table, 'route.scale_k') ?? 'prob') === 'prob',
      scaleQ: (wordOf(table, 'route.scale_q') ?? 'prob') === 'prob',
    };
  }

  const scaleField = getField(table, 'scale', 'scale');
  const chunkField = getField(table, 'chunk', 'chunk');
  const implField = getField(table, 'impl', 'list');
  const passesField = getField(table, 'passes', 'list');
  const targetsField = getField(table, 'targets', 'targets');
  const targets = targetsField
    ? need(validateTargets(targetsField).value, 'targets')
    : { cuda: { archs: [...DEFAULTS.cudaArchs] }, wgsl: DEFAULTS.wgsl };

  return {
    name,
    heads,
    keyDim,
    valueDim,
    layout: (wordOf(table, 'layout') as Layout | undefined) ?? DEFAULTS.layout,
    dtype: (wordOf(table, 'dtype') as DType | undefined) ?? DEFAULTS.dtype,
    update: need(wordOf(table, 'update') as UpdateRule | undefined, 'update'),
    state: {
      shared: onOff('state.shared', DEFAULTS.shared),
      partitions,
      routedInputs: partitions > 0 ? ((wordOf(table, 'state.routed_inputs') as 'own' | 'shared' | undefined) ?? DEFAULTS.routedInputs) : 'shared',
    },
    route,
    scale: scaleField ? need(validateScale(scaleField, keyDim).value, 'scale') : 1 / Math.sqrt(keyDim),
    chunk: chunkField ? need(validateChunk(chunkField).value, 'chunk') : [...DEFAULTS.chunk],
    impls: implField ? (need(validateList(implField).value, 'impl') as Impl[]) : [...DEFAULTS.impls],
    passes: passesField ? (need(validateList(passesField).value, 'passes') as Pass[]) : [...DEFAULTS.passes],
    initialState: onOff('initial_state', DEFAULTS.initialState),
    finalState: onOff('final_state', DEFAULTS.finalState),
    targets,
  };
}
