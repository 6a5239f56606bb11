/**
 * WGSL matrix ceilings of the adapter (a benchmark, not a test):
 *
 *   npx tsx test/bench/wgsl_matrix_probe.ts [--n 4096] [--repeats 10]
 *
 * Prints the adapter's subgroup sizes and, when Dawn exposes `chromium-experimental-subgroup-matrix`
 * (instance flag allow_unsafe_apis), its matrix configurations; then, for every f16 → f32
 * configuration, checks a subgroup-matrix product C = A·B against a float64 product on a small case
 * and times an n×n×n product (f16 operands in storage, f32 result), medians of timestamp queries, with
 * fragments loaded straight from storage and with operands staged through workgroup memory.
 * A plain f32 register-tiled product is timed beside it as the SIMT ceiling the current kernels work under.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { n: { type: 'string', default: '4096' }, repeats: { type: 'string', default: '10' } } });
const N = Number(values.n);
const REPEATS = Number(values.repeats);

type Mod = { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
const mod = (await import('webgpu')) as unknown as Mod;
Object.assign(globalThis, mod.globals);
// Dawn instance flags (';'-separated in SSEC_DAWN_FLAGS, as for the kernels); subgroup matrices need allow_unsafe_apis.
const flags = (process.env.SSEC_DAWN_FLAGS ?? 'enable-dawn-features=allow_unsafe_apis;disable-dawn-features=timestamp_quantization').split(';').filter(Boolean);
console.log(`dawn flags: ${flags.join(' ')}`);
const gpu = mod.create(flags);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('no adapter');
const info = adapter.info as GPUAdapterInfo & { subgroupMatrixConfigs?: { componentType: string; resultComponentType: string; M: number; N: number; K: number }[] };
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.description}; subgroup ${info.subgroupMinSize}-${info.subgroupMaxSize}`);
const SM = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;
const want = ['shader-f16', 'timestamp-query', 'subgroups', SM].filter((f) => adapter.features.has(f as GPUFeatureName)) as GPUFeatureName[];
console.log(`features: ${want.join(', ')}`);
const configs = info.subgroupMatrixConfigs ?? [];
console.log(`subgroup matrix configs: ${configs.map((c) => `${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join('; ') || 'none'}`);
const limits: Record<string, number> = {};
for (const key of ['maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeInvocationsPerWorkgroup']) {
  limits[key] = (adapter.limits as unknown as Record<string, number>)[key];
}
const device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits: limits });
device.addEventListener?.('uncapturederror', (ev: Event) => console.error(`uncaptured: ${(ev as GPUUncapturedErrorEvent).error?.message}`));

const cvtF = new Float32Array(1);
const cvtU = new Uint32Array(cvtF.buffer);
function f32ToF16(x: number): number {
  cvtF[0] = x;
  const u = cvtU[0];
  const s = (u >>> 16) & 0x8000;
  let e = ((u >>> 23) & 0xff) - 127 + 15;
  let m = u & 0x7fffff;
  if (e <= 0) return s;
  if (e >= 31) return s | 0x7c00;
  // round to nearest even
  const r = m & 0x1fff;
  m >>>= 13;
  if (r > 0x1000 || (r === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
    }
  }
  return s | (e << 10) | m;
}
function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function buffer(bytes: number, data?: ArrayBufferView): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  if (data) device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
  return b;
}

async function readF32(b: GPUBuffer, count: number): Promise<Float32Array> {
  const r = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(b, 0, r, 0, count * 4);
  device.queue.submit([e.finish()]);
  await r.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(r.getMappedRange().slice(0));
  r.unmap();
  r.destroy();
  return out;
}

/** Fragment types of an f16 → f32 configuration. */
function fragTypes(c: { M: number; N: number; K: number }): { L: string; R: string; Q: string } {
  return {
    L: `subgroup_matrix_left<f16, ${c.K}, ${c.M}>`,
    R: `subgroup_matrix_right<f16, ${c.N}, ${c.K}>`,
    Q: `subgroup_matrix_result<f32, ${c.N}, ${c.M}>`,
  };
}

/** acc_i_j += l_i · r_j for every fragment pair of an FM × FN register tile. */
function mmaLines(FM: number, FN: number, indent: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) out.push(`${indent}acc${i}_${j} = subgroupMatrixMultiplyAccumulate(l${i}, r${j}, acc${i}_${j});`);
  return out;
}

/**
 * Subgroup-matrix product: one subgroup (workgroup of `sg` invocations) owns an (FM·M) × (FN·N) tile of C,
 * walking K in steps of the config's K with left/right fragments loaded straight from storage (row-major).
 */
function smShader(c: { M: number; N: number; K: number }, FM: number, FN: number, sg: number): string {
  const lines: string[] = [];
  lines.push('enable f16;', 'enable chromium_experimental_subgroup_matrix;');
  lines.push('struct P { n: u32 }', '@group(0) @binding(0) var<uniform> p: P;');
  lines.push('@group(0) @binding(1) var<storage, read> a: array<f16>;', '@group(0) @binding(2) var<storage, read> b: array<f16>;');
  lines.push('@group(0) @binding(3) var<storage, read_write> cm: array<f32>;');
  const { L, R, Q } = fragTypes(c);
  lines.push(`@compute @workgroup_size(${sg})`, 'fn main(@builtin(workgroup_id) wg: vec3u) {');
  lines.push('  let n = p.n;', `  let row0 = wg.y * ${FM * c.M}u;`, `  let col0 = wg.x * ${FN * c.N}u;`);
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) lines.push(`  var acc${i}_${j} = ${Q}();`);
  lines.push(`  for (var k = 0u; k < n; k += ${c.K}u) {`);
  for (let i = 0; i < FM; i++) lines.push(`    let l${i} = subgroupMatrixLoad<${L}>(&a, (row0 + ${i * c.M}u) * n + k, false, n);`);
  for (let j = 0; j < FN; j++) lines.push(`    let r${j} = subgroupMatrixLoad<${R}>(&b, k * n + col0 + ${j * c.N}u, false, n);`);
  lines.push(...mmaLines(FM, FN, '    '));
  lines.push('  }');
  for (let i = 0; i < FM; i++)
    for (let j = 0; j < FN; j++) lines.push(`  subgroupMatrixStore(&cm, (row0 + ${i * c.M}u) * n + col0 + ${j * c.N}u, acc${i}_${j}, false, n);`);
  lines.push('}');
  return lines.join('\n');
}

/**
 * Subgroup-matrix product with operands staged through workgroup memory: a workgroup of SGM × SGN subgroups
 * owns a TM × TN tile of C; per step of KT it copies the A (TM × KT) and B (KT × TN) tiles into workgroup
 * memory as f16 (16-byte loads from storage), then each subgroup multiplies its (TM / SGM) × (TN / SGN) share
 * out of them (fragments of the config's M × N × K).
 */
type SubgroupIndex = 'subgroup_id' | 'subgroup_id+diagnostic' | 'local_index+diagnostic';
function smStagedShader(c: { M: number; N: number; K: number }, TM: number, TN: number, KT: number, SGM: number, SGN: number, sg: number, ix: SubgroupIndex): string {
  const FM = TM / SGM / c.M, FN = TN / SGN / c.N;
  const inv = sg * SGM * SGN;
  const aVec = (TM * KT) / 4, bVec = (KT * TN) / 4;
  const { L, R, Q } = fragTypes(c);
  const lines: string[] = [];
  const one = SGM * SGN === 1;
  lines.push('enable f16;', 'enable chromium_experimental_subgroup_matrix;');
  if (!one && ix !== 'local_index+diagnostic') lines.push('enable subgroups;');
  if (!one && ix.endsWith('diagnostic')) lines.push('diagnostic(off, subgroup_uniformity);');
  lines.push('struct P { n: u32 }', '@group(0) @binding(0) var<uniform> p: P;');
  lines.push('@group(0) @binding(1) var<storage, read> a: array<vec4<f16>>;', '@group(0) @binding(2) var<storage, read> b: array<vec4<f16>>;');
  lines.push('@group(0) @binding(3) var<storage, read_write> cm: array<f32>;');
  lines.push(`var<workgroup> wa: array<f16, ${TM * KT}>;`, `var<workgroup> wb: array<f16, ${KT * TN}>;`);
  const sid = !one && ix !== 'local_index+diagnostic' ? ', @builtin(subgroup_id) sid: u32' : '';
  lines.push(`@compute @workgroup_size(${inv})`, `fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32${sid}) {`);
  lines.push('  let n = p.n;', '  let n4 = n / 4u;', `  let row0 = wg.y * ${TM}u;`, `  let col0 = wg.x * ${TN}u;`);
  if (one) lines.push('  let sr = 0u;', '  let sc = 0u;');
  else {
    lines.push(sid ? '  let s = sid;' : `  let s = li / ${sg}u;`);
    lines.push(`  let sr = (s / ${SGN}u) * ${TM / SGM}u;`, `  let sc = (s % ${SGN}u) * ${TN / SGN}u;`);
  }
  for (let i = 0; i < FM; i++) for (let j = 0; j < FN; j++) lines.push(`  var acc${i}_${j} = ${Q}();`);
  lines.push(`  for (var k = 0u; k < n; k += ${KT}u) {`);
  lines.push(`    for (var e = li; e < ${aVec}u; e += ${inv}u) {`);
  lines.push(`      let r = e / ${KT / 4}u; let q = e % ${KT / 4}u;`);
  lines.push('      let v = a[(row0 + r) * n4 + k / 4u + q];');
  lines.push(`      let o = r * ${KT}u + q * 4u; wa[o] = v.x; wa[o + 1u] = v.y; wa[o + 2u] = v.z; wa[o + 3u] = v.w;`);
  lines.push('    }');
  lines.push(`    for (var e = li; e < ${bVec}u; e += ${inv}u) {`);
  lines.push(`      let r = e / ${TN / 4}u; let q = e % ${TN / 4}u;`);
  lines.push('      let v = b[(k + r) * n4 + col0 / 4u + q];');
  lines.push(`      let o = r * ${TN}u + q * 4u; wb[o] = v.x; wb[o + 1u] = v.y; wb[o + 2u] = v.z; wb[o + 3u] = v.w;`);
  lines.push('    }');
  lines.push('    workgroupBarrier();');
  lines.push(`    for (var kk = 0u; kk < ${KT}u; kk += ${c.K}u) {`);
  for (let i = 0; i < FM; i++) lines.push(`      let l${i} = subgroupMatrixLoad<${L}>(&wa, (sr + ${i * c.M}u) * ${KT}u + kk, false, ${KT}u);`);
  for (let j = 0; j < FN; j++) lines.push(`      let r${j} = subgroupMatrixLoad<${R}>(&wb, kk * ${TN}u + sc + ${j * c.N}u, false, ${TN}u);`);
  lines.push(...mmaLines(FM, FN, '      '));
  lines.push('    }');
  lines.push('    workgroupBarrier();');
  lines.push('  }');
  for (let i = 0; i < FM; i++)
    for (let j = 0; j < FN; j++) lines.push(`  subgroupMatrixStore(&cm, (row0 + sr + ${i * c.M}u) * n + col0 + sc + ${j * c.N}u, acc${i}_${j}, false, n);`);
  lines.push('}');
  return lines.join('\n');
}

/** f32 SIMT product: 16×16 invocations, each a 4×4 register tile, 64×64 per workgroup through workgroup memory. */
function simtShader(): string {
  return `
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> cm: array<vec4f>;
var<workgroup> sa: array<f32, 1024>;  // [16 k][64 rows]
var<workgroup> tb: array<vec4f, 256>; // [16 k][64 cols] as vec4: tb[k*16 + c4]
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let n = p.n; let n4 = n / 4u;
  var acc: array<vec4f, 4>;
  let row0 = wg.y * 64u; let col0 = wg.x * 64u;
  let li = l.y * 16u + l.x;
  for (var k0 = 0u; k0 < n; k0 += 16u) {
    // A tile 64 rows x 16 k: invocation li loads row li / 4, k (li % 4) * 4 .. +3, stored as [k][row]
    let ar = li / 4u; let ak = (li % 4u) * 4u;
    let av = a[((row0 + ar) * n + k0 + ak) / 4u];
    let bk = li / 16u; let bc = li % 16u;
    tb[bk * 16u + bc] = b[((k0 + bk) * n + col0) / 4u + bc];
    sa[(ak + 0u) * 64u + ar] = av.x; sa[(ak + 1u) * 64u + ar] = av.y; sa[(ak + 2u) * 64u + ar] = av.z; sa[(ak + 3u) * 64u + ar] = av.w;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let bv = tb[kk * 16u + l.x];
      let base = kk * 64u + l.y * 4u;
      let a4 = vec4f(sa[base], sa[base + 1u], sa[base + 2u], sa[base + 3u]);
      acc[0] += a4.x * bv; acc[1] += a4.y * bv; acc[2] += a4.z * bv; acc[3] += a4.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) { cm[((row0 + l.y * 4u + i) * n + col0) / 4u + l.x] = acc[i]; }
}
`;
}

async function timeKernel(pipe: GPUComputePipeline, bg: GPUBindGroup, grid: [number, number], repeats: number): Promise<number> {
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const res = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const rd = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const ts: number[] = [];
  for (let r = 0; r < repeats + 2; r++) {
    const e = device.createCommandEncoder();
    const pass = e.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(grid[0], grid[1]);
    pass.end();
    e.resolveQuerySet(qs, 0, 2, res, 0);
    e.copyBufferToBuffer(res, 0, rd, 0, 16);
    device.queue.submit([e.finish()]);
    await rd.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(rd.getMappedRange().slice(0));
    rd.unmap();
    if (r >= 2) ts.push(Number(t[1] - t[0]) / 1e6);
  }
  ts.sort((x, y) => x - y);
  return ts[Math.floor(ts.length / 2)];
}

async function run(label: string, code: string, n: number, tile: [number, number], io: 'f16' | 'f32', check: boolean): Promise<void> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const ci = await module.getCompilationInfo();
  for (const m of ci.messages) if (m.type === 'error') console.log(`${label}: ${m.lineNum}:${m.linePos} ${m.message}`);
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) {
    console.log(`${label}: pipeline error: ${err.message}`);
    return;
  }
  const A = new Float64Array(n * n).map(() => Math.random() * 2 - 1);
  const B = new Float64Array(n * n).map(() => Math.random() * 2 - 1);
  let ab: ArrayBufferView, bb: ArrayBufferView;
  if (io === 'f16') {
    const a16 = new Uint16Array(n * n), b16 = new Uint16Array(n * n);
    for (let i = 0; i < n * n; i++) {
      a16[i] = f32ToF16(A[i]);
      A[i] = f16ToF32(a16[i]);
      b16[i] = f32ToF16(B[i]);
      B[i] = f16ToF32(b16[i]);
    }
    ab = a16;
    bb = b16;
  } else {
    ab = new Float32Array(A);
    bb = new Float32Array(B);
    for (let i = 0; i < n * n; i++) {
      A[i] = (ab as Float32Array)[i];
      B[i] = (bb as Float32Array)[i];
    }
  }
  const u = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(u, 0, new Uint32Array([n, 0, 0, 0]));
  const ga = buffer(ab.byteLength, ab), gb = buffer(bb.byteLength, bb);
  const gc = buffer(n * n * 4, new Float32Array(n * n).fill(NaN));
  const bg = device.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: u } }, { binding: 1, resource: { buffer: ga } }, { binding: 2, resource: { buffer: gb } }, { binding: 3, resource: { buffer: gc } }],
  });
  const grid: [number, number] = [n / tile[1], n / tile[0]];
  if (check) {
    const e = device.createCommandEncoder();
    const pass = e.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(grid[0], grid[1]);
    pass.end();
    device.queue.submit([e.finish()]);
    const C = await readF32(gc, n * n);
    let num = 0, den = 0, nan = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
        const d = C[i * n + j];
        if (!Number.isFinite(d)) nan++;
        num += (d - s) ** 2;
        den += s * s;
      }
    console.log(`${label}: check n=${n}: rel RMS ${Math.sqrt(num / den).toExponential(2)}, non-finite ${nan}`);
  } else {
    const ms = await timeKernel(pipe, bg, grid, REPEATS);
    console.log(`${label}: n=${n}: ${ms.toFixed(3)} ms, ${((2 * n ** 3) / ms / 1e9).toFixed(1)} TFLOP/s`);
  }
  for (const b of [ga, gb, gc, u]) b.destroy();
}

const sg = info.subgroupMinSize || 32;
for (const c of configs) {
  if (c.componentType !== 'f16' || c.resultComponentType !== 'f32') continue;
  for (const [FM, FN] of [
    [1, 1],
    [2, 2],
    [2, 4],
    [4, 4],
  ]) {
    const code = smShader(c, FM, FN, sg);
    const label = `subgroup-matrix f16->f32 ${c.M}x${c.N}x${c.K} frags ${FM}x${FN}`;
    const tile: [number, number] = [FM * c.M, FN * c.N];
    await run(label, code, 128, tile, 'f16', true);
    await run(label, code, N, tile, 'f16', false);
  }
  // One subgroup per workgroup (offsets uniform by construction), then several subgroups per workgroup
  // under the three ways of naming a subgroup's share (the offsets of subgroupMatrixLoad/Store must be uniform).
  const staged: [number, number, number, number, number, SubgroupIndex][] = [
    [32, 32, 32, 1, 1, 'subgroup_id'],
    [64, 32, 32, 1, 1, 'subgroup_id'],
    [64, 64, 32, 1, 1, 'subgroup_id'],
  ];
  for (const ix of ['subgroup_id', 'subgroup_id+diagnostic', 'local_index+diagnostic'] as SubgroupIndex[])
    staged.push([64, 64, 32, 2, 2, ix], [128, 128, 32, 2, 4, ix]);
  for (const [TM, TN, KT, SGM, SGN, ix] of staged) {
    if (TM % (SGM * c.M) || TN % (SGN * c.N) || KT % c.K) continue;
    if ((TM + TN) * KT * 2 > limits.maxComputeWorkgroupStorageSize) continue;
    const code = smStagedShader(c, TM, TN, KT, SGM, SGN, sg, ix);
    const label = `subgroup-matrix f16->f32 ${c.M}x${c.N}x${c.K} staged ${TM}x${TN}x${KT} by ${SGM}x${SGN} subgroups${SGM * SGN > 1 ? ` (${ix})` : ''}`;
    await run(label, code, 128, [TM, TN], 'f16', true);
    await run(label, code, N, [TM, TN], 'f16', false);
  }
}
await run('simt f32 64x64/wg', simtShader(), 128, [64, 64], 'f32', true);
await run('simt f32 64x64/wg', simtShader(), N, [64, 64], 'f32', false);
device.destroy();
