/**
 * The CUDA target: render (templates → .h/.cu/driver/PyTorch binding), execute (standalone driver
 * built with nvcc, cached by kernel identity; inputs and outputs through binary files) and the
 * ptxas resource report for `ssec explain --target cuda`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CudaArch, DType, KernelSpec } from '../../dsl/kernel-spec.js';
import { sequenceCount } from '../../dsl/tensors.js';
import type { KernelPlan } from '../../codegen/plan.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../codegen/dtype.js';
import { writeIfDifferent } from '../../codegen/render.js';
import type { ExecuteRequest, ExecuteResult, HostTensors, TargetBackend } from '../../codegen/target.js';
import { type PtxasReport, NO_CUDA_DEVICE, buildDriver, cudaDevices, findNvcc, formatPtxas, nvccVersion, ptxasReport } from './compile.js';
import { type HostTensorView, cudaVariant, hostTensors, kernelIdentity, renderCuda, specArchs } from './render.js';

export { renderCuda, kernelIdentity, checkCudaLegality, CudaLegalityError, hostTensors, specArchs, cudaStages, cudaVariant } from './render.js';
export { cudaDevices, findNvcc, ptxasReport, parsePtxas, formatPtxas, NO_CUDA_DEVICE, type PtxasReport } from './compile.js';

// ---------------------------------------------------------------------------------------------
// Host encodings

/** Encodes f64 values into the bytes of a storage dtype (round to nearest even). */
export function encode(data: Float64Array, dtype: DType): Buffer {
  if (dtype === 'f32') return Buffer.from(Float32Array.from(data).buffer);
  const out = new Uint16Array(data.length);
  if (dtype === 'bf16') {
    for (let i = 0; i < data.length; i++) out[i] = f32ToBf16Bits(data[i]);
  } else {
    for (let i = 0; i < data.length; i++) out[i] = f32ToF16Bits(data[i]);
  }
  return Buffer.from(out.buffer);
}

export function decode(buf: Buffer, dtype: DType): Float64Array {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  if (dtype === 'f32') return Float64Array.from(new Float32Array(ab));
  const u16 = new Uint16Array(ab);
  const out = new Float64Array(u16.length);
  if (dtype === 'bf16') {
    for (let i = 0; i < u16.length; i++) out[i] = bf16BitsToF32(u16[i]);
  } else {
    for (let i = 0; i < u16.length; i++) out[i] = f16BitsToF32(u16[i]);
  }
  return out;
}

/** [B,T,H,D] ↔ [B,H,T,D] for token tensors of a BHTD spec (logical host layout is always BTHD). */
function permuteBHTD(x: Float64Array, B: number, T: number, H: number, toBHTD: boolean): Float64Array {
  const D = x.length / (B * T * H);
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < H; h++) {
        const a = ((b * T + t) * H + h) * D;
        const c = ((b * H + h) * T + t) * D;
        for (let d = 0; d < D; d++) {
          if (toBHTD) out[c + d] = x[a + d];
          else out[a + d] = x[c + d];
        }
      }
  return out;
}

const TOKEN_TENSORS = new Set(['q', 'k', 'v', 'g', 'qr', 'kr', 'gr', 'o', 'do']);
function isTokenTensor(name: string): boolean {
  return TOKEN_TENSORS.has(name) || (name.startsWith('d') && TOKEN_TENSORS.has(name.slice(1)));
}

// ---------------------------------------------------------------------------------------------
// Execute

function parseTimings(stdout: string): Record<string, number> {
  const m = stdout.match(/SSEC_TIMING (.*)/);
  const out: Record<string, number> = {};
  if (!m) return out;
  for (const kv of m[1].trim().split(/\s+/)) {
    const [k, v] = kv.split('=');
    out[k] = Number(v);
  }
  return out;
}

/** Renders, builds (cached) and runs the standalone driver on the request's tensors. */
export async function executeCuda(req: ExecuteRequest): Promise<ExecuteResult> {
  const { spec, plan, impl, shape } = req;
  if (!plan.impls.some((i) => i.impl === impl)) throw new Error(`CUDA: spec '${spec.name}' has no impl '${impl}' (has ${plan.impls.map((i) => i.impl).join(', ')})`);
  if (cudaDevices().length === 0) throw new Error(NO_CUDA_DEVICE);
  const nvcc = findNvcc();
  if (!nvcc) throw new Error('CUDA: nvcc not found (set NVCC or put nvcc on PATH)');
  const id = kernelIdentity(spec, plan);
  const dir = join(req.workDir, 'cuda', id);
  mkdirSync(dir, { recursive: true });
  writeIfDifferent(dir, renderCuda(spec, plan));
  const arch = (process.env.SSEC_CUDA_ARCH as CudaArch | undefined) ?? 'native';
  const build = await buildDriver({ nvcc, dir, identity: id, sources: [`${id}_driver.cu`, `${id}.cu`], arch, cacheDir: join(req.workDir, 'cuda-cache') });
  // SSEC_CUDA_KEEP=<dir>: keep the inputs/outputs there and write the driver command to cmd.txt
  // (used by test/gpu/run-all.sh to run compute-sanitizer on the same case).
  const keep = process.env.SSEC_CUDA_KEEP;
  const runDir = keep ? (mkdirSync(keep, { recursive: true }), keep) : mkdtempSync(join(tmpdir(), `ssec-${id.slice(0, 24)}-`));
  try {
    const views = hostTensors(spec, plan);
    const { B, T } = shape;
    const S = sequenceCount(shape);
    const H = spec.heads;
    const bhtd = spec.layout === 'BHTD';
    const backward = !!req.cotangents;
    for (const t of views) {
      if (t.role !== 'input' && t.role !== 'cotangent') continue;
      let data = t.role === 'input' ? req.inputs[t.name] : req.cotangents?.[t.name];
      if (!data) {
        if (t.role === 'input') throw new Error(`CUDA: missing input ${t.name}`);
        continue;
      }
      if (bhtd && isTokenTensor(t.name)) data = permuteBHTD(data, B, T, H, true);
      writeFileSync(join(runDir, `${t.name}.bin`), encode(data, t.f32 ? 'f32' : spec.dtype));
    }
    if (shape.cuSeqlens) writeFileSync(join(runDir, 'cu_seqlens.bin'), Buffer.from(Int32Array.from(shape.cuSeqlens).buffer));
    const reps = Number(process.env.SSEC_CUDA_REPS ?? 0);
    const argv = [runDir, impl, String(B), String(T), String(S), String(reps)];
    if (keep) {
      writeFileSync(join(runDir, 'cmd.txt'), `${build.path} ${argv.slice(0, 5).join(' ')} 0\n`);
      const env = { B, T, S };
      const evalCount = (shape: string) => shape.replace(/[()\s]/g, '').split(',').filter(Boolean).map((d) => (d in env ? env[d as keyof typeof env] : Number(d)));
      const meta = { identity: id, dir, impl, B, T, S, cu_seqlens: shape.cuSeqlens ?? null, tensors: Object.fromEntries(views.map((t) => [t.name, { shape: evalCount(t.pyShape), f32: t.f32, role: t.role }])) };
      writeFileSync(join(runDir, 'meta.json'), JSON.stringify(meta));
    }
    const r = spawnSync(build.path, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`CUDA driver failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    const tensors: HostTensors = {};
    const wanted = (t: HostTensorView) => t.role === 'output' || (backward && t.role === 'gradient');
    const read = (t: HostTensorView, file: string) => {
      const data = decode(readFileSync(join(runDir, file)), t.f32 ? 'f32' : spec.dtype);
      return bhtd && isTokenTensor(t.name) ? permuteBHTD(data, B, T, H, false) : data;
    };
    for (const t of views.filter(wanted)) tensors[t.name] = read(t, `${t.name}.out.bin`);
    // The inference forward's outputs (<id>_<impl>_forward_inference, run by the driver after the forward): `o:inference`.
    for (const t of views.filter((v) => v.role === 'output')) tensors[`${t.name}:inference`] = read(t, `${t.name}.inference.out.bin`);
    const wgmma = r.stdout.match(/SSEC_FORWARD_WGMMA (\d)/)?.[1] === '1';
    const device = `${r.stdout.match(/SSEC_DEVICE (.*)/)?.[1]?.trim() ?? 'CUDA device'}${wgmma ? ', inference forward on wgmma (sm_90a)' : ''}`;
    const timings = parseTimings(r.stdout);
    if (!build.cached) timings.compile_s = build.seconds;
    return { tensors, device, timings };
  } finally {
    if (!keep) rmSync(runDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// explain

export interface CompileReport {
  identity: string;
  reports: PtxasReport[];
  /** True when every arch compiled without warnings and no kernel spills. */
  clean: boolean;
  text: string;
}

/** The manifest fields the compile report reads: each impl's launches per pass. */
interface LaunchManifest {
  impls: { impl: string; forward: LaunchRow[]; backward: LaunchRow[]; inference?: LaunchRow[] }[];
}
interface LaunchRow {
  stage: string;
  kernel: string;
  threads: number;
  smem: number;
  /** 'wgmma' / 'not wgmma' (inference forward): launched only where it runs on wgmma (sm_90a build, compute capability 9.0) or not. */
  when?: string;
}

/** The CUDA target's launch order per impl and pass (its stages differ from the plan's: docs/cuda.md). */
function launchLines(m: LaunchManifest): string[] {
  const list = (stages: LaunchRow[]) => stages.map((s) => `${s.stage} (${s.threads}${s.when ? `, ${s.when}` : ''})`).join(' → ');
  return [
    'CUDA launches (threads per block):',
    ...m.impls.flatMap((i) =>
      [
        `  ${i.impl.padEnd(7)} forward   ${list(i.forward)}`,
        ...(i.inference ? [`  ${i.impl.padEnd(7)} inference ${list(i.inference)}`] : []),
        `  ${i.impl.padEnd(7)} backward  ${list(i.backward)}`,
      ].filter((l) => !/backward +$/.test(l)),
    ),
  ];
}

/**
 * Registers, shared memory, stack and spills per kernel from `nvcc -cubin -Xptxas -v`, for one arch
 * (or every arch of the spec when arch is omitted; sm_90 brings sm_90a along for a spec with the wgmma forward).
 * Needs nvcc, not a GPU.
 */
export async function compileReport(spec: KernelSpec, plan: KernelPlan, arch?: CudaArch | CudaArch[], workDir?: string): Promise<CompileReport> {
  const nvcc = findNvcc();
  const id = kernelIdentity(spec, plan);
  const files = renderCuda(spec, plan);
  const manifest = JSON.parse(files.find((f) => f.path === 'manifest.json')!.contents) as LaunchManifest;
  const launches = launchLines(manifest);
  if (!nvcc) return { identity: id, reports: [], clean: false, text: [...launches, `${id}: nvcc not found (set NVCC or put nvcc on PATH)`].join('\n') };
  const dir = workDir ?? mkdtempSync(join(tmpdir(), 'ssec-explain-'));
  writeIfDifferent(dir, files);
  // A spec with the wgmma forward (cudaVariant(...).wg) gets its sm_90a build beside sm_90 (that walk is compiled
  // there only), whether sm_90 was asked for or is one of the spec's archs.
  const asked = arch === undefined ? specArchs(spec) : Array.isArray(arch) ? arch : [arch];
  const archs = cudaVariant(spec, plan).wg && asked.includes('sm_90') && !asked.includes('sm_90a') ? [...asked, 'sm_90a' as const] : asked;
  const reports = await Promise.all(archs.map((a) => ptxasReport({ nvcc, dir, source: `${id}.cu`, arch: a, outDir: join(dir, 'cubin') })));
  const clean = reports.every((r) => r.ok && r.diagnostics.length === 0 && r.kernels.every((k) => k.spillStores === 0 && k.spillLoads === 0));
  const launched = manifest.impls.flatMap((i) => [...i.forward, ...(i.inference ?? []), ...i.backward]).filter((s) => s.smem > 0);
  const dyn = launched.filter((s, n) => launched.findIndex((x) => x.kernel === s.kernel) === n);  // once per kernel
  const text = [
    ...launches,
    `CUDA kernels of ${id} (${nvcc}, ${nvccVersion(nvcc)})`,
    ...reports.map((r) => formatPtxas(r, `${id}_`)),
    `dynamic shared memory per launch: ${dyn.map((s) => `${s.kernel.slice(id.length + 1)} ${(s.smem / 1024).toFixed(1)} KiB`).join(', ') || 'none'}`,
    clean ? 'clean: no warnings, no spills' : 'NOT clean: see warnings/spills above',
  ].join('\n');
  if (!workDir) rmSync(dir, { recursive: true, force: true });
  return { identity: id, reports, clean, text };
}

/** Whether CUDA kernels can run here (`ssec run` / `npm run demo`): an NVIDIA GPU and nvcc. */
export async function available(): Promise<{ ok: boolean; why?: string }> {
  if (cudaDevices().length === 0) return { ok: false, why: 'no NVIDIA GPU (nvidia-smi -L lists none)' };
  if (!findNvcc()) return { ok: false, why: 'nvcc not found (set NVCC or put nvcc on PATH)' };
  return { ok: true };
}

export const cudaBackend: TargetBackend = {
  name: 'cuda',
  render: renderCuda,
  tolerance: (dtype: DType) => (dtype === 'f32' ? 1e-5 : 1e-2),
  execute: executeCuda,
};

export default cudaBackend;
