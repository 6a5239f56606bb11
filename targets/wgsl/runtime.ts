/**
 * WebGPU in Node: Dawn through the `webgpu` package, one device per process.
 *
 * Adapter discovery, in order:
 *   1. VK_DRIVER_FILES / VK_ICD_FILENAMES already set (e.g. by `.gpu/env.sh` on an NVIDIA host): left alone.
 *   2. A system Vulkan driver (an ICD manifest other than SwiftShader's under the standard folders): used.
 *   3. Otherwise SwiftShader, the CPU Vulkan driver that Debian's `chromium` package ships, is pointed
 *      at through VK_ICD_FILENAMES before Dawn loads (the Vulkan loader reads it once).
 * No adapter at all gives a `WebGpuUnavailable` error whose message says what to install; nothing crashes.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where distributions put SwiftShader's Vulkan ICD manifest (chromium / chrome packages). */
export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];

export const INSTALL_HINT =
  'no WebGPU adapter found. ssec runs WGSL kernels through Dawn (npm package `webgpu`) on Vulkan: on a machine without a GPU, ' +
  'install SwiftShader and the Vulkan loader with `apt-get install chromium libvulkan1` (ssec then finds ' +
  '/usr/lib/chromium/vk_swiftshader_icd.json by itself), or point VK_ICD_FILENAMES at a Vulkan driver manifest.';

export class WebGpuUnavailable extends Error {
  constructor(detail: string) {
    super(`${INSTALL_HINT}${detail ? ` (${detail})` : ''}`);
    this.name = 'WebGpuUnavailable';
  }
}

export interface WgslDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** Human-readable adapter description: vendor, architecture, driver, and the ICD in use. */
  description: string;
  /** 'swiftshader' when running on the CPU driver. */
  kind: 'swiftshader' | 'gpu';
  hasF16: boolean;
  hasTimestamps: boolean;
  hasSubgroups: boolean;
  limits: Record<string, number>;
}

function systemIcds(): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_ICD_DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.json') && !/swiftshader/i.test(f)) out.push(join(dir, f));
  }
  return out;
}

/** Whether the machine shows a GPU device node (NVIDIA, or a DRM render node). */
function hasGpuNode(): boolean {
  if (existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

function swiftShaderIcd(env: NodeJS.ProcessEnv): string | undefined {
  return [env.SSEC_SWIFTSHADER_ICD, ...SWIFTSHADER_ICDS].find((p): p is string => !!p && existsSync(p));
}

/**
 * Sets the environment Dawn needs before it loads; returns the driver sources to try in order
 * ('environment' / 'system' leave VK_ICD_FILENAMES alone, 'swiftshader' sets it).
 */
export function driverPlan(env: NodeJS.ProcessEnv = process.env): { source: string; icd?: string }[] {
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'ssec-xdg-'));
  if (env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES) return [{ source: 'environment', icd: env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES }];
  const plan: { source: string; icd?: string }[] = [];
  const sys = systemIcds().filter((f) => !/lvp_icd/.test(f));
  if (env.SSEC_WGSL_DRIVER !== 'swiftshader' && sys.length > 0 && hasGpuNode()) plan.push({ source: 'system', icd: sys.join(':') });
  const ss = swiftShaderIcd(env);
  if (ss) plan.push({ source: 'swiftshader', icd: ss });
  return plan;
}

let pending: Promise<WgslDevice> | null = null;
let gpuInstance: GPU | null = null;

/** The process-wide device (created once, with every limit the adapter allows). */
export function getDevice(): Promise<WgslDevice> {
  if (!pending) {
    pending = openDevice();
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

/** Whether an adapter exists; never throws. */
export async function probeDevice(): Promise<{ ok: true; device: WgslDevice } | { ok: false; message: string }> {
  try {
    return { ok: true, device: await getDevice() };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

async function openDevice(): Promise<WgslDevice> {
  const plan = driverPlan();
  if (plan.length === 0) throw new WebGpuUnavailable('no Vulkan driver and no SwiftShader ICD found');
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new WebGpuUnavailable(`the 'webgpu' package did not load: ${(e as Error).message}`);
  }
  Object.assign(globalThis, mod.globals);
  let adapter: GPUAdapter | null = null;
  let env = plan[0];
  const tried: string[] = [];
  for (const step of plan) {
    env = step;
    // The Vulkan loader reads VK_ICD_FILENAMES when Dawn creates its instance, so a later try sees it.
    if (step.source === 'swiftshader') process.env.VK_ICD_FILENAMES = step.icd;
    try {
      // Keep the instance referenced while the device lives: dawn.node tears everything down when
      // the object returned by create() is collected (pending promises never settle, then abort).
      gpuInstance = mod.create(dawnFlags());
      adapter = await gpuInstance.requestAdapter({ powerPreference: 'high-performance' });
    } catch (e) {
      tried.push(`${step.source}: ${(e as Error).message}`);
      continue;
    }
    if (adapter) break;
    tried.push(`${step.source}${step.icd ? ` (${step.icd})` : ''}: no adapter`);
  }
  if (!adapter) throw new WebGpuUnavailable(`tried ${tried.join('; ')}`);
  const limits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  const features: GPUFeatureName[] = [];
  for (const f of ['shader-f16', 'timestamp-query', 'subgroups'] as GPUFeatureName[]) if (adapter.features.has(f)) features.push(f);
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits: limits });
  device.addEventListener?.('uncapturederror', (ev: Event) => {
    console.error(`ssec wgsl: uncaptured WebGPU error: ${(ev as GPUUncapturedErrorEvent).error?.message}`);
  });
  const info = adapter.info;
  const swift = /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description} ${info.device}`) || env.source === 'swiftshader';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((x) => x && x.length > 0);
  const description = `${parts.join(' ') || 'unknown adapter'}${swift ? ' (SwiftShader, CPU)' : ''} via Dawn/Vulkan`;
  return {
    device,
    adapter,
    description,
    kind: swift ? 'swiftshader' : 'gpu',
    hasF16: device.features.has('shader-f16'),
    hasTimestamps: device.features.has('timestamp-query'),
    hasSubgroups: device.features.has('subgroups'),
    limits,
  };
}

/** Destroys the process-wide device so Node can exit (the CLI calls this at the end). */
export async function releaseDevice(): Promise<void> {
  if (!pending) return;
  try {
    const d = await pending;
    d.device.destroy();
  } catch {
    /* nothing to release */
  }
  pending = null;
  gpuInstance = null;
}

/**
 * Dawn instance flags: by default timestamps are not quantized (Dawn rounds them for the web, which
 * blurs per-kernel timings); SSEC_DAWN_FLAGS (';'-separated) replaces the list.
 */
function dawnFlags(): string[] {
  const f = process.env.SSEC_DAWN_FLAGS;
  if (f !== undefined) return f.split(';').filter(Boolean);
  return ['disable-dawn-features=timestamp_quantization'];
}
