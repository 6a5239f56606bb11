/**
 * The generated TypeScript module used directly over GPUBuffers (as an application would): buffer
 * validation messages name the tensor, outputs left unwritten stay NaN (so the poisoning in
 * execute can catch them), forward + backward in one submission, and the runtime's adapter
 * discovery / no-adapter message.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forwardInputs } from '../../dsl/tensors.js';
import { loadLayerClass } from '../../targets/wgsl/index.js';
import { driverPlan, getDevice, INSTALL_HINT, WebGpuUnavailable } from '../../targets/wgsl/runtime.js';
import { makeSpec } from '../helpers/spec.js';
import { gpuGate, planOf, ROOT, WORK_DIR, reportGate } from './helpers.js';

const gate = await gpuGate();

describe('runtime', () => {
  it('says what to install when there is no adapter', () => {
    const e = new WebGpuUnavailable('tried swiftshader: no adapter');
    expect(e.message).toContain('apt-get install chromium libvulkan1');
    expect(e.message).toContain(INSTALL_HINT);
  });

  it('leaves an already-set VK_DRIVER_FILES / VK_ICD_FILENAMES alone', () => {
    const env = { VK_DRIVER_FILES: '/x/nvidia_icd.json', XDG_RUNTIME_DIR: '/tmp' } as NodeJS.ProcessEnv;
    expect(driverPlan(env)).toEqual([{ source: 'environment', icd: '/x/nvidia_icd.json' }]);
    expect(env.VK_ICD_FILENAMES).toBeUndefined();
    const env2 = { VK_ICD_FILENAMES: '/y/icd.json', XDG_RUNTIME_DIR: '/tmp' } as NodeJS.ProcessEnv;
    expect(driverPlan(env2)[0].icd).toBe('/y/icd.json');
  });

  it('reports a missing adapter as one message naming what to install, without crashing', () => {
    // A child process whose Vulkan loader sees no driver at all.
    const code = `const m = await import(${JSON.stringify(join(ROOT, 'targets/wgsl/index.ts'))}); const a = await m.available(); console.log(JSON.stringify(a));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.ok).toBe(false);
    expect(out.why).toContain('apt-get install chromium libvulkan1');
  });

  it('creates XDG_RUNTIME_DIR when unset', () => {
    const env = { VK_ICD_FILENAMES: '/y/icd.json' } as NodeJS.ProcessEnv;
    driverPlan(env);
    expect(env.XDG_RUNTIME_DIR).toMatch(/ssec-xdg-/);
  });
});

reportGate(gate, it, it.skip);

describe.runIf(gate.run)('generated module over GPUBuffers', () => {
  const spec = makeSpec({ chunk: [16] });
  const plan = planOf(spec);
  const shape = { B: 1, T: 20 };

  async function setup() {
    const { device } = await getDevice();
    const Layer = await loadLayerClass(spec, plan, WORK_DIR);
    const layer = await Layer.create(device, 'mask');
    const ws = layer.createWorkspace(shape);
    const inputs: Record<string, GPUBuffer> = {};
    for (const t of forwardInputs(spec, shape)) {
      const size = layer.byteSize(t.name, ws.sizes);
      inputs[t.name] = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(inputs[t.name], 0, new Float32Array(size / 4).fill(0.25));
    }
    return { device, layer, ws, inputs };
  }

  it('validates every buffer size, naming the tensor and its shape', async () => {
    const { device, layer, ws, inputs } = await setup();
    const bad = { ...inputs, v: device.createBuffer({ size: 8, usage: GPUBufferUsage.STORAGE }) };
    const enc = device.createCommandEncoder();
    expect(() => layer.encodeForward(enc, bad, ws)).toThrow(/tensor 'v' has 8 bytes; \[B=1, T=20, H=2, V=3\] f32 needs 480/);
    const missing = { ...inputs } as Record<string, GPUBuffer>;
    delete missing.e;
    expect(() => layer.encodeForward(enc, missing, ws)).toThrow(/missing input tensor 'e' \(\[B=1, T=20, N=2\] f32/);
    layer.destroyWorkspace(ws);
  });

  it('leaves unwritten outputs NaN (poison) and writes every gradient element in backward', async () => {
    const { device, layer, ws, inputs } = await setup();
    const poison = (b: GPUBuffer) => device.queue.writeBuffer(b, 0, new Uint32Array(b.size / 4).fill(0x7fc00000));
    for (const n of ['o', 'dq', 'dv', 'de']) poison(ws.buffers[n]);
    const read = async (b: GPUBuffer) => {
      const s = device.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const e = device.createCommandEncoder();
      e.copyBufferToBuffer(b, 0, s, 0, b.size);
      device.queue.submit([e.finish()]);
      await s.mapAsync(GPUMapMode.READ);
      const x = new Float32Array(s.getMappedRange().slice(0));
      s.unmap();
      return x;
    };
    let enc = device.createCommandEncoder();
    const { saved } = layer.encodeForward(enc, inputs, ws);
    device.queue.submit([enc.finish()]);
    expect((await read(ws.buffers.o)).every(Number.isFinite)).toBe(true);
    expect((await read(ws.buffers.dq)).every(Number.isNaN)).toBe(true);
    const cot: Record<string, GPUBuffer> = {};
    for (const n of ['do', 'dht']) {
      const size = layer.byteSize(n, ws.sizes);
      cot[n] = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(cot[n], 0, new Float32Array(size / 4).fill(0.5));
    }
    enc = device.createCommandEncoder();
    layer.encodeBackward(enc, saved, cot);
    device.queue.submit([enc.finish()]);
    for (const n of ['dq', 'dv', 'de']) expect((await read(ws.buffers[n])).every(Number.isFinite), n).toBe(true);
    layer.destroyWorkspace(ws);
  });
});
