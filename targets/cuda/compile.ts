/**
 * nvcc invocation for the CUDA target: arch flags, a compile cache keyed by kernel identity and the
 * content of every source + flags + nvcc version, and the ptxas resource report (registers, shared
 * memory, stack, spills per kernel) used by `ssec explain --target cuda` and the CPU compile tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { CudaArch } from '../../dsl/kernel-spec.js';

/** The nvcc to use: $NVCC, else `nvcc` on PATH, else /usr/local/cuda/bin/nvcc. null when none. */
export function findNvcc(): string | null {
  const cands = [process.env.NVCC, 'nvcc', '/usr/local/cuda/bin/nvcc', '/usr/local/bin/nvcc'].filter((x): x is string => !!x);
  for (const c of cands) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  return null;
}

/**
 * The NVIDIA GPUs this machine's driver lists (`nvidia-smi -L`), or, without nvidia-smi, the device nodes
 * the driver creates. Empty when there is no usable GPU, which `ssec run --target cuda` reports before
 * building anything (nvcc -arch=native would silently fall back to an arch that cannot build the kernels).
 */
export function cudaDevices(): string[] {
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.split('\n').filter((l) => /^GPU \d+:/.test(l)).map((l) => l.trim());
  if (r.error && existsSync('/dev/nvidiactl') && existsSync('/dev/nvidia0')) return ['/dev/nvidia0'];
  return [];
}

export const NO_CUDA_DEVICE =
  'running CUDA kernels needs an NVIDIA GPU and its driver, and this machine has none (nvidia-smi -L lists no GPU); ' +
  '`ssec build --target cuda` and `ssec explain --target cuda` need only nvcc, and `--target wgsl` runs without a GPU (SwiftShader)';

let nvccVersionCache: string | null = null;
export function nvccVersion(nvcc: string): string {
  if (nvccVersionCache) return nvccVersionCache;
  const r = spawnSync(nvcc, ['--version'], { encoding: 'utf8' });
  nvccVersionCache = (r.stdout.match(/release [^\n]*/)?.[0] ?? 'unknown').trim();
  return nvccVersionCache;
}

/** Compute capability of this machine's first GPU ('9.0'), from nvidia-smi; null when it cannot tell. */
export function nativeComputeCapability(): string | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=compute_cap', '--format=csv,noheader'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\n')[0].trim() || null;
}

/**
 * Code-generation flags of an arch ('native' = the GPU of this machine; a compute-capability 9.0 GPU gets sm_90a, whose
 * wgmma kernels the launchers use there). sm_90a needs the -gencode form, and defines SSEC_SM90A for the launchers.
 */
export function archFlags(arch: CudaArch | 'native'): string[] {
  if (arch === 'native') return nativeComputeCapability() === '9.0' ? archFlags('sm_90a') : ['-arch=native'];
  if (arch === 'sm_90a') return ['-gencode=arch=compute_90a,code=sm_90a', '-DSSEC_SM90A'];
  return [`-arch=${arch}`];
}

/**
 * Flags every build uses: warnings are errors (the generator must emit warning-free code), and the half/bf16
 * restrictions that torch.utils.cpp_extension defines for every CUDA build (no implicit conversions or
 * operators), so that the sources the driver and `ssec explain` compile are the ones the PyTorch binding can.
 */
export const BASE_FLAGS = [
  '-O3',
  '-std=c++17',
  '-lineinfo',
  '-Werror',
  'all-warnings',
  '-Xcompiler',
  '-Wall',
  '-D__CUDA_NO_HALF_OPERATORS__',
  '-D__CUDA_NO_HALF_CONVERSIONS__',
  '-D__CUDA_NO_BFLOAT16_CONVERSIONS__',
  '-D__CUDA_NO_HALF2_OPERATORS__',
];

export interface NvccResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  command: string;
}

function runNvcc(nvcc: string, args: string[], cwd: string): Promise<NvccResult> {
  return new Promise((resolve) => {
    const p = spawn(nvcc, args, { cwd });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ ok: code === 0, stdout, stderr, command: `${nvcc} ${args.join(' ')}` }));
    p.on('error', (e) => resolve({ ok: false, stdout, stderr: stderr + String(e), command: `${nvcc} ${args.join(' ')}` }));
  });
}

export interface CachedBuild {
  path: string;
  cached: boolean;
  /** Seconds spent compiling (0 when cached). */
  seconds: number;
}

/**
 * Compiles the standalone driver (driver + kernels) into `<cacheDir>/<identity>-<key>/driver`,
 * reusing it when a build with the same key exists. The key hashes the sources, flags and nvcc version.
 */
export async function buildDriver(opts: {
  nvcc: string;
  dir: string;
  identity: string;
  sources: string[];
  arch: CudaArch | 'native';
  cacheDir: string;
}): Promise<CachedBuild> {
  opts = { ...opts, dir: resolvePath(opts.dir), cacheDir: resolvePath(opts.cacheDir) };
  const flags = [...BASE_FLAGS, ...archFlags(opts.arch)];
  const h = createHash('sha256');
  h.update(nvccVersion(opts.nvcc));
  h.update(flags.join(' '));
  for (const s of opts.sources) h.update(readFileSync(join(opts.dir, s)));
  for (const hdr of [`${opts.identity}.h`]) if (existsSync(join(opts.dir, hdr))) h.update(readFileSync(join(opts.dir, hdr)));
  const key = h.digest('hex').slice(0, 16);
  const outDir = join(opts.cacheDir, `${opts.identity}-${key}`);
  const exe = join(outDir, 'driver');
  if (existsSync(exe)) return { path: exe, cached: true, seconds: 0 };
  mkdirSync(outDir, { recursive: true });
  const t0 = Date.now();
  const tmp = `${exe}.tmp${process.pid}`;
  const r = await runNvcc(opts.nvcc, [...flags, '-I', opts.dir, ...opts.sources.map((s) => join(opts.dir, s)), '-o', tmp], opts.dir);
  if (!r.ok) throw new Error(`nvcc failed building the ${opts.identity} driver:\n${r.command}\n${r.stderr}`);
  renameSync(tmp, exe);
  writeFileSync(join(outDir, 'build.log'), `${r.command}\n${r.stderr}`);
  return { path: exe, cached: false, seconds: (Date.now() - t0) / 1000 };
}

export interface KernelResources {
  kernel: string;
  arch: string;
  registers: number;
  /** Static shared memory (bytes); dynamic shared memory is per launch (see the manifest). */
  sharedStatic: number;
  stackFrame: number;
  spillStores: number;
  spillLoads: number;
}

export interface PtxasReport {
  ok: boolean;
  arch: string;
  kernels: KernelResources[];
  /** nvcc/ptxas diagnostics other than the -v info lines (warnings, errors). */
  diagnostics: string[];
  command: string;
}

/** ptxas's report of one kernel's spills (an error line under -warn-spills with -Werror). */
const SPILL_LINE = /Registers are spilled to local memory in function/;

/** Parses `ptxas -v` output (`Compiling entry function`, `Used N registers`, spill lines). */
export function parsePtxas(stderr: string, arch: string): { kernels: KernelResources[]; diagnostics: string[] } {
  const kernels: KernelResources[] = [];
  const diagnostics: string[] = [];
  let cur: KernelResources | null = null;
  for (const line of stderr.split('\n')) {
    const entry = line.match(/Compiling entry function '([^']+)' for '([^']+)'/);
    if (entry) {
      cur = { kernel: entry[1], arch: entry[2], registers: 0, sharedStatic: 0, stackFrame: 0, spillStores: 0, spillLoads: 0 };
      kernels.push(cur);
      continue;
    }
    const stack = line.match(/(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/);
    if (stack && cur) {
      cur.stackFrame = Number(stack[1]);
      cur.spillStores = Number(stack[2]);
      cur.spillLoads = Number(stack[3]);
      continue;
    }
    const used = line.match(/Used (\d+) registers/);
    if (used && cur) {
      cur.registers = Number(used[1]);
      const smem = line.match(/(\d+) bytes smem/);
      if (smem) cur.sharedStatic = Number(smem[1]);
      continue;
    }
    // ptxas's performance notes come as info lines (C7514: wgmma serialised where other instructions touch its
    // accumulators mid-pipeline; C7517: a warpgroup wait injected before registers that an unfinished wgmma may
    // still write, which undoes an overlap the kernel meant); the generated kernels must not get any.
    if (/Potential Performance Loss|\(C7517\)/.test(line)) {
      diagnostics.push(line.trim());
      continue;
    }
    // -warn-spills under -Werror turns each spill into an error line; the spill itself is in the kernel's row above
    if (SPILL_LINE.test(line)) continue;
    if (/ptxas info|^\s*$|Function properties for|Compiling entry function/.test(line)) continue;
    if (/warning|error/i.test(line)) diagnostics.push(line.trim());
  }
  return { kernels, diagnostics };
}

/** Whether every error line of an nvcc run reports a spill (the build itself would have succeeded). */
export function onlySpillErrors(stderr: string): boolean {
  const errors = stderr.split('\n').filter((l) => /error/i.test(l));
  return errors.length > 0 && errors.every((l) => SPILL_LINE.test(l));
}

/** Compiles one .cu to a cubin for `arch` with ptxas -v and warnings as errors; returns the resources per kernel. */
export async function ptxasReport(opts: { nvcc: string; dir: string; source: string; arch: CudaArch; outDir: string }): Promise<PtxasReport> {
  opts = { ...opts, dir: resolvePath(opts.dir), outDir: resolvePath(opts.outDir) };
  mkdirSync(opts.outDir, { recursive: true });
  const out = join(opts.outDir, `${opts.source.replace(/\.cu$/, '')}.${opts.arch}.cubin`);
  const args = [...BASE_FLAGS, ...archFlags(opts.arch), '-cubin', '-Xptxas', '-v', '-Xptxas', '-warn-spills', '-I', opts.dir, join(opts.dir, opts.source), '-o', out];
  const r = await runNvcc(opts.nvcc, args, opts.dir);
  const parsed = parsePtxas(r.stderr, opts.arch);
  // Spills fail this report's build (-warn-spills, -Werror) but not a real one: they show in the kernel rows instead.
  const ok = r.ok || onlySpillErrors(r.stderr);
  if (!ok && parsed.diagnostics.length === 0) parsed.diagnostics.push(...r.stderr.split('\n').filter((l) => l.trim()));
  return { ok, arch: opts.arch, kernels: parsed.kernels, diagnostics: parsed.diagnostics, command: r.command };
}

/** Table of a ptxas report, one row per kernel. */
export function formatPtxas(r: PtxasReport, prefix = ''): string {
  const spilled = r.kernels.some((k) => k.spillStores > 0 || k.spillLoads > 0);
  const lines = [`${r.arch}: ${r.ok ? (spilled ? 'compiled, with spills' : 'compiled') : 'FAILED'}`];
  lines.push(`  ${'kernel'.padEnd(36)} ${'regs'.padStart(5)} ${'smem'.padStart(7)} ${'stack'.padStart(6)} ${'spill st/ld'.padStart(12)}`);
  for (const k of r.kernels) {
    const name = prefix && k.kernel.startsWith(prefix) ? k.kernel.slice(prefix.length) : k.kernel;
    lines.push(
      `  ${name.padEnd(36)} ${String(k.registers).padStart(5)} ${String(k.sharedStatic).padStart(7)} ${String(k.stackFrame).padStart(6)} ${`${k.spillStores}/${k.spillLoads}`.padStart(12)}`,
    );
  }
  for (const d of r.diagnostics) lines.push(`  ! ${d}`);
  return lines.join('\n');
}
