/**
 * The WGSL target: render (kernels, generated TypeScript module, manifest), execute through the
 * generated module on Dawn (SwiftShader without a GPU), and bench.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DType, Impl, KernelSpec } from '../../dsl/kernel-spec.js';
import { specHash } from '../../dsl/kernel-spec.js';
import { backwardCotangents, elementCount, forwardInputs, forwardOutputs, gradients, type ProblemShape, type TensorInfo } from '../../dsl/tensors.js';
import type { KernelPlan } from '../../codegen/plan.js';
import { f16BitsToF32, f32ToF16Bits } from '../../codegen/dtype.js';
import { writeIfDifferent } from '../../codegen/render.js';
import type { ExecuteRequest, ExecuteResult, HostTensors, RenderedFile, TargetBackend } from '../../codegen/target.js';
import { className, moduleFileName, renderHostModule, renderShadersModule, shadersFileName } from './host.js';
import { buildManifest } from './manifest.js';
import { checkSupported, ioStorage } from './program.js';
import { renderPrograms } from './render.js';
import { getDevice, probeDevice, releaseDevice, type WgslDevice } from './runtime.js';

export { WGSL_CAPABILITIES, UnsupportedSpec } from './program.js';
export { getDevice, probeDevice, releaseDevice, INSTALL_HINT, WebGpuUnavailable } from './runtime.js';

/** Every file of a build: one .wgsl per kernel identity, the host module, its shaders module, manifest.json. */
export function renderFiles(spec: KernelSpec, plan: KernelPlan): RenderedFile[] {
  checkSupported(spec);
  const programs = renderPrograms(spec, plan);
  const files: RenderedFile[] = [];
  for (const rp of programs) for (const k of rp.program.kernels) files.push({ path: `${k.id}.wgsl`, contents: rp.sources[k.id] });
  files.push({ path: shadersFileName(spec), contents: renderShadersModule(spec, programs) });
  files.push({ path: moduleFileName(spec), contents: renderHostModule(spec, plan, programs) });
  files.push({ path: 'manifest.json', contents: JSON.stringify(buildManifest(spec, plan, programs), null, 2) + '\n' });
  return files;
}

const TOLERANCE: Record<DType, number> = {
  f32: 1e-4,
  // f16 storage rounds inputs and outputs to 11 bits (2^-11 ≈ 4.9e-4 relative per element).
  f16: 4e-3,
  // bf16 specs are stored as f32 on WebGPU (inputs already rounded to bf16 by the harness).
  bf16: 1e-4,
};

export const backend: TargetBackend = {
  name: 'wgsl',
  render: renderFiles,
  tolerance: (dtype) => TOLERANCE[dtype],
  execute,
};

/** Whether kernels can run here: an adapter exists (or why not, naming what to install). */
export async function available(): Promise<{ ok: boolean; why?: string }> {
  const p = await probeDevice();
  return p.ok ? { ok: true } : { ok: false, why: p.message };
}

// ---- generated module loading ------------------------------------------------------------------

/** The generated layer class, as execute and bench use it (the module's own types are per spec). */
export interface LayerLike {
  readonly ioDtype: 'f32' | 'f16';
  createWorkspace(shape: ProblemShape): WorkspaceLike;
  destroyWorkspace(ws: WorkspaceLike): void;
  encodeForward(encoder: GPUCommandEncoder, inputs: Record<string, GPUBuffer>, ws: WorkspaceLike, opts?: PassOpts): { outputs: Record<string, GPUBuffer>; saved: unknown };
  encodeBackward(encoder: GPUCommandEncoder, saved: unknown, cot: Record<string, GPUBuffer>, opts?: PassOpts): Record<string, GPUBuffer>;
  byteSize(name: string, s: { B: number; T: number; S: number }): number;
}
interface PassOpts {
  timestampWrites?: GPUComputePassTimestampWrites;
  profile?: (kernelId: string) => GPUComputePassTimestampWrites | undefined;
}
export interface WorkspaceLike {
  buffers: Record<string, GPUBuffer>;
  sizes: { B: number; T: number; S: number };
}
type LayerCtor = { new (device: GPUDevice, impl: Impl): LayerLike; create(device: GPUDevice, impl: Impl): Promise<LayerLike> };

const moduleCache = new Map<string, Promise<LayerCtor>>();

/** Writes the build into `<workDir>/<spec hash>-c<chunk>/` (write-if-different) and imports the generated module. */
export async function loadLayerClass(spec: KernelSpec, plan: KernelPlan, workDir: string): Promise<LayerCtor> {
  const dir = resolve(workDir, `${specHash(spec)}-c${plan.config.chunk}-bk${plan.config.BK}-bv${plan.config.BV}-t${plan.config.threads}`);
  const key = dir;
  let p = moduleCache.get(key);
  if (!p) {
    p = (async () => {
      mkdirSync(dir, { recursive: true });
      writeIfDifferent(dir, renderFiles(spec, plan));
      const mod = (await import(pathToFileURL(join(dir, moduleFileName(spec))).href)) as Record<string, unknown>;
      const ctor = mod[className(spec)] as LayerCtor | undefined;
      if (!ctor) throw new Error(`generated module ${moduleFileName(spec)} does not export ${className(spec)}`);
      return ctor;
    })();
    moduleCache.set(key, p);
    p.catch(() => moduleCache.delete(key));
  }
  return p;
}

// ---- host <-> device tensors ---------------------------------------------------------------------

/** Logical [B,T,H,D] index → memory index for the spec's layout (BHTD moves H before T). */
function layoutPermutation(spec: KernelSpec, t: TensorInfo): ((i: number) => number) | null {
  if (spec.layout === 'BTHD') return null;
  const dims = t.dims;
  if (dims.length < 3 || dims[0] !== 'B' || dims[1] !== 'T' || dims[2] !== 'H') return null;
  const [, T, H] = t.shape;
  const D = t.shape.length > 3 ? t.shape[3] : 1;
  return (i: number) => {
    const d = i % D;
    const r = (i - d) / D;
    const h = r % H;
    const bt = (r - h) / H;
    const tt = bt % T;
    const b = (bt - tt) / T;
    return ((b * H + h) * T + tt) * D + d;
  };
}

function toDevice(spec: KernelSpec, t: TensorInfo, x: Float64Array, io: 'f32' | 'f16'): ArrayBuffer {
  const perm = layoutPermutation(spec, t);
  const half = t.storage === 'io' && io === 'f16';
  const n = x.length;
  if (half) {
    const out = new Uint16Array(Math.ceil(n / 2) * 2);
    for (let i = 0; i < n; i++) out[perm ? perm(i) : i] = f32ToF16Bits(x[i]);
    return out.buffer;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[perm ? perm(i) : i] = x[i];
  return out.buffer;
}

function fromDevice(spec: KernelSpec, t: TensorInfo, data: ArrayBuffer, io: 'f32' | 'f16'): Float64Array {
  const perm = layoutPermutation(spec, t);
  const n = elementCount(t);
  const out = new Float64Array(n);
  if (t.storage === 'io' && io === 'f16') {
    const u = new Uint16Array(data);
    for (let i = 0; i < n; i++) out[i] = f16BitsToF32(u[perm ? perm(i) : i]);
  } else {
    const f = new Float32Array(data);
    for (let i = 0; i < n; i++) out[i] = f[perm ? perm(i) : i];
  }
  return out;
}

function poison(dev: GPUDevice, buf: GPUBuffer): void {
  const words = new Uint32Array(buf.size / 4).fill(0x7fc00000);
  dev.queue.writeBuffer(buf, 0, words);
}

async function readBuffers(dev: GPUDevice, bufs: Record<string, GPUBuffer>): Promise<Record<string, ArrayBuffer>> {
  const enc = dev.createCommandEncoder();
  const staging: Record<string, GPUBuffer> = {};
  for (const [name, b] of Object.entries(bufs)) {
    staging[name] = dev.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.copyBufferToBuffer(b, 0, staging[name], 0, b.size);
  }
  dev.queue.submit([enc.finish()]);
  const out: Record<string, ArrayBuffer> = {};
  for (const [name, s] of Object.entries(staging)) {
    await s.mapAsync(GPUMapMode.READ);
    out[name] = s.getMappedRange().slice(0);
    s.unmap();
    s.destroy();
  }
  return out;
}

function uploadInputs(dev: GPUDevice, spec: KernelSpec, layer: LayerLike, infos: TensorInfo[], data: HostTensors, sizes: WorkspaceLike['sizes']): Record<string, GPUBuffer> {
  const out: Record<string, GPUBuffer> = {};
  for (const t of infos) {
    const x = data[t.name];
    if (!x) throw new Error(`wgsl execute: missing tensor ${t.name}`);
    const bytes = toDevice(spec, t, x, layer.ioDtype);
    const size = layer.byteSize(t.name, sizes);
    const buf = dev.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: t.name });
    dev.queue.writeBuffer(buf, 0, bytes, 0, Math.min(size, bytes.byteLength));
    out[t.name] = buf;
  }
  return out;
}

interface Timer {
  querySet: GPUQuerySet;
  resolve: GPUBuffer;
  read: GPUBuffer;
  writes(i: number): GPUComputePassTimestampWrites;
  finish(enc: GPUCommandEncoder): void;
  spans(): Promise<number[]>;
  destroy(): void;
}

function makeTimer(dev: GPUDevice, passes: number): Timer {
  const count = passes * 2;
  const querySet = dev.createQuerySet({ type: 'timestamp', count });
  const resolveBuf = dev.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = dev.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return {
    querySet,
    resolve: resolveBuf,
    read,
    writes: (i) => ({ querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }),
    finish(enc) {
      enc.resolveQuerySet(querySet, 0, count, resolveBuf, 0);
      enc.copyBufferToBuffer(resolveBuf, 0, read, 0, count * 8);
    },
    async spans() {
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      const out: number[] = [];
      for (let i = 0; i < passes; i++) out.push(Number(t[2 * i + 1] - t[2 * i]) / 1e6);
      return out;
    },
    destroy() {
      querySet.destroy();
      resolveBuf.destroy();
      read.destroy();
    },
  };
}

async function execute(req: ExecuteRequest): Promise<ExecuteResult> {
  const { spec, plan, impl, shape } = req;
  checkSupported(spec);
  const dev: WgslDevice = await getDevice();
  const device = dev.device;
  const Layer = await loadLayerClass(spec, plan, req.workDir);
  const layer = await Layer.create(device, impl);
  if (layer.ioDtype !== ioStorage(spec, dev.hasF16)) throw new Error(`io dtype mismatch: ${layer.ioDtype}`);
  device.pushErrorScope('validation');
  const ws = layer.createWorkspace(shape);
  const s = ws.sizes;
  const inputs = uploadInputs(device, spec, layer, forwardInputs(spec, shape), req.inputs, s);
  const cot = req.cotangents ? uploadInputs(device, spec, layer, backwardCotangents(spec, shape), req.cotangents, s) : null;
  const outInfos = forwardOutputs(spec, shape);
  const gradInfos = req.cotangents ? gradients(spec, shape) : [];
  for (const t of [...outInfos, ...gradInfos]) poison(device, ws.buffers[t.name]);
  const timer = dev.hasTimestamps ? makeTimer(device, 2) : null;
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  if (timer) {
    const enc = device.createCommandEncoder();
    const { saved } = layer.encodeForward(enc, inputs, ws, { timestampWrites: timer.writes(0) });
    if (cot) layer.encodeBackward(enc, saved, cot, { timestampWrites: timer.writes(1) });
    timer.finish(enc);
    device.queue.submit([enc.finish()]);
    const spans = await timer.spans();
    timings.forward = spans[0];
    if (cot) timings.backward = spans[1];
    timer.destroy();
  } else {
    let enc = device.createCommandEncoder();
    const { saved } = layer.encodeForward(enc, inputs, ws);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    const t1 = performance.now();
    timings.forward = t1 - t0;
    if (cot) {
      enc = device.createCommandEncoder();
      layer.encodeBackward(enc, saved, cot);
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      timings.backward = performance.now() - t1;
    }
  }
  const raw = await readBuffers(device, Object.fromEntries([...outInfos, ...gradInfos].map((t) => [t.name, ws.buffers[t.name]])));
  const err = await device.popErrorScope();
  const tensors: HostTensors = {};
  for (const t of [...outInfos, ...gradInfos]) tensors[t.name] = fromDevice(spec, t, raw[t.name], layer.ioDtype);
  layer.destroyWorkspace(ws);
  for (const b of [...Object.values(inputs), ...Object.values(cot ?? {})]) b.destroy();
  if (err) throw new Error(`WebGPU validation error: ${err.message}`);
  return { tensors, device: dev.description, timings };
}

// ---- bench -------------------------------------------------------------------------------------

export interface BenchOptions {
  spec: KernelSpec;
  plan?: KernelPlan;
  impl: Impl;
  shape: ProblemShape;
  warmup?: number;
  repeats?: number;
  workDir?: string;
  seed?: number;
  /** Also time every kernel (one compute pass each; needs timestamp queries). */
  profile?: boolean;
  /**
   * Warm-up lasts at least `warmup` iterations and at least this many milliseconds (default 1000): on an
   * H200 the first 1 – 4 varlen passes after the workspace was created ran 2 – 5× slower than the rest,
   * a transient of a few hundred milliseconds that a count of two warm-ups did not cover.
   */
  warmupMs?: number;
}

export interface BenchResult {
  device: string;
  /** Median forward milliseconds. */
  fwdMs: number;
  /** Median forward + backward milliseconds (null when the spec has no backward pass). */
  fwdBwdMs: number | null;
  timestampQueries: boolean;
  /** 'timestamp-query' or 'wall clock'. */
  timer: string;
  /** With `profile`: median milliseconds per kernel, in dispatch order (forward, then backward). */
  stages?: Record<string, number>;
  /** Every timed sample (ms), in order: forward, and forward + backward. */
  samples: { fwd: number[]; fwdBwd: number[] };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** Times forward and forward+backward (medians after warm-up), timestamp queries when the device has them. */
export async function bench(opts: BenchOptions): Promise<BenchResult> {
  const { spec, impl, shape } = opts;
  checkSupported(spec);
  const { buildPlan } = await import('../../codegen/plan.js');
  const plan = opts.plan ?? buildPlan(spec);
  const warmup = opts.warmup ?? 5;
  const repeats = opts.repeats ?? 20;
  const dev = await getDevice();
  const device = dev.device;
  const Layer = await loadLayerClass(spec, plan, opts.workDir ?? join('build', '.work', 'wgsl'));
  const layer = await Layer.create(device, impl);
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const ws = layer.createWorkspace(shape);
  const { randomInputs, randomCotangents } = await import('../../dsl/reference/random.js');
  const inputs = uploadInputs(device, spec, layer, forwardInputs(spec, shape), randomInputs(spec, shape, opts.seed ?? 1), ws.sizes);
  const backward = spec.passes.includes('backward');
  const cot = backward ? uploadInputs(device, spec, layer, backwardCotangents(spec, shape), randomCotangents(spec, shape, (opts.seed ?? 1) + 1), ws.sizes) : null;
  const fwd: number[] = [];
  const both: number[] = [];
  const timer = dev.hasTimestamps ? makeTimer(device, 2) : null;
  const warmupMs = opts.warmupMs ?? 1000;
  const t0 = performance.now();
  let warm = 0; // warm-up iterations done
  while (fwd.length < repeats) {
    const enc = device.createCommandEncoder();
    const w0 = performance.now();
    const { saved } = layer.encodeForward(enc, inputs, ws, timer ? { timestampWrites: timer.writes(0) } : {});
    let wallFwd = NaN;
    if (!timer) {
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      wallFwd = performance.now() - w0;
    }
    const enc2 = timer ? enc : device.createCommandEncoder();
    if (cot) layer.encodeBackward(enc2, saved, cot, timer ? { timestampWrites: timer.writes(1) } : {});
    if (timer) timer.finish(enc2);
    device.queue.submit([enc2.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wallBoth = performance.now() - w0;
    if (warm < warmup || performance.now() - t0 < warmupMs) {
      if (timer) await timer.spans();
      warm++;
      continue;
    }
    if (timer) {
      const [f, b] = await timer.spans();
      fwd.push(f);
      both.push(f + (cot ? b : 0));
    } else {
      fwd.push(wallFwd);
      both.push(wallBoth);
    }
  }
  timer?.destroy();
  let stages: Record<string, number> | undefined;
  if (opts.profile && dev.hasTimestamps) {
    const ids: string[] = [];
    const samples = new Map<string, number[]>();
    const ptimer = makeTimer(device, 64);
    for (let it = 0; it < Math.max(3, Math.min(repeats, 10)); it++) {
      ids.length = 0;
      const profile = (id: string) => {
        ids.push(id);
        return ids.length <= 64 ? ptimer.writes(ids.length - 1) : undefined;
      };
      const enc = device.createCommandEncoder();
      const { saved } = layer.encodeForward(enc, inputs, ws, { profile });
      if (cot) layer.encodeBackward(enc, saved, cot, { profile });
      ptimer.finish(enc);
      device.queue.submit([enc.finish()]);
      const spans = await ptimer.spans();
      ids.forEach((id, i) => {
        const stage = id.replace(/_[0-9a-f]{12}$/, '');
        const key = samples.has(stage) && it === 0 ? `${stage}#${i}` : stage;
        if (!samples.has(key)) samples.set(key, []);
        samples.get(key)!.push(spans[i]);
      });
    }
    ptimer.destroy();
    stages = Object.fromEntries([...samples].map(([k, v]) => [k, median(v)]));
  }
  const oom = await device.popErrorScope();
  const err = await device.popErrorScope();
  layer.destroyWorkspace(ws);
  for (const b of [...Object.values(inputs), ...Object.values(cot ?? {})]) b.destroy();
  if (oom) throw new Error(`WebGPU out of memory: ${oom.message}`);
  if (err) throw new Error(`WebGPU validation error: ${err.message}`);
  return {
    device: dev.description,
    fwdMs: median(fwd),
    fwdBwdMs: backward ? median(both) : null,
    samples: { fwd, fwdBwd: backward ? both : [] },
    timestampQueries: !!timer,
    timer: timer ? 'timestamp-query' : 'wall clock',
    ...(stages ? { stages } : {}),
  };
}

export { releaseDevice as release };
