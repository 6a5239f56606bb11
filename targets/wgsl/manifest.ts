/**
 * manifest.json of a WGSL build: spec hash, storage dtypes, every kernel (identity, file, stage,
 * workgroup size, bindings, grid, workgroup storage), every buffer, the dispatch order, the
 * WGSL-specific deviations from the plan, and the plan itself.
 */
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import { specHash } from '../../dsl/kernel-spec.js';
import type { KernelPlan } from '../../codegen/plan.js';
import { paramsBytes } from './emit.js';
import { STORAGE_BUFFER_BUDGET, WGSL_CAPABILITIES, WGSL_DEVIATIONS, WORKGROUP_STORAGE_BUDGET } from './program.js';
import type { RenderedProgram } from './render.js';

export function buildManifest(spec: KernelSpec, plan: KernelPlan, programs: RenderedProgram[]): unknown {
  const storage =
    spec.dtype === 'f16'
      ? { io: "f16 where the adapter has 'shader-f16' (kernels with io: f16), else f32 (kernels with io: f32)", states: 'f32' }
      : spec.dtype === 'bf16'
        ? { io: 'f32 (bf16 specs are stored as f32 on WebGPU: WGSL has no bf16 type)', states: 'f32' }
        : { io: 'f32', states: 'f32' };
  return {
    generator: 'ssec wgsl',
    spec: spec.name,
    specHash: specHash(spec),
    dtype: spec.dtype,
    storage,
    math: 'f32',
    capabilities: WGSL_CAPABILITIES,
    limits: {
      workgroupStorageBytes: WORKGROUP_STORAGE_BUDGET,
      maxStorageBuffersPerStage: Math.max(...programs.flatMap((p) => p.program.kernels.map((k) => k.bindings.length))),
      storageBufferBudget: STORAGE_BUFFER_BUDGET,
    },
    deviations: WGSL_DEVIATIONS,
    programs: programs.map(({ program }) => ({
      impl: program.impl,
      io: program.io,
      sizes: program.sizes,
      uniform: { binding: 0, bytes: paramsBytes(program.uniforms), fields: program.uniforms },
      buffers: program.buffers.map((b) => ({ name: b.name, elem: b.elem, role: b.role, size: b.size, dims: b.dims, shape: b.shape, views: b.views, doc: b.doc })),
      forward: program.forward.map((d) => d.kernel),
      backward: program.backward.map((d) => d.kernel),
      kernels: program.kernels.map((k) => ({
        id: k.id,
        file: `${k.id}.wgsl`,
        stage: k.stage,
        planStage: k.planStage,
        entryPoint: 'main',
        workgroupSize: [k.workgroupSize, 1, 1],
        grid: k.grid,
        workgroupStorageBytes: k.workgroupBytes,
        bindings: [{ binding: 0, buffer: 'params', type: 'uniform' }, ...k.bindings.map((b) => ({ binding: b.binding, buffer: b.buffer, type: b.access === 'read' ? 'read-only-storage' : 'storage' }))],
        params: k.params,
      })),
    })),
    plan,
  };
}
