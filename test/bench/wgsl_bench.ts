/**
 * WGSL benchmark and device smoke test (run with tsx on a GPU host, or SwiftShader):
 *
 *   npx tsx test/bench/wgsl_bench.ts [spec.sse] [--shape B=4,T=4096] [--impl mask,varlen]
 *        [--warmup 3] [--repeats 10] [--profile] [--check B=1,T=200] [--chunk 64] [--threads 128] [--warmup-ms 1000]
 *
 * Prints the adapter and its limits, forward and forward+backward medians per impl (timestamp
 * queries when available), per-kernel medians with --profile, and with --check a correctness run
 * against the float64 reference at a small shape first. Warm-up lasts --warmup iterations and at
 * least --warmup-ms milliseconds; every timed sample is printed beside the median. Config A of docs/performance.md is the
 * default: examples/sse_gla.sse at B=4, T=4096.
 */
import { parseArgs } from 'node:util';
import { compileSpecFile } from '../../dsl/index.js';
import type { Impl } from '../../dsl/kernel-spec.js';
import type { ProblemShape } from '../../dsl/tensors.js';
import { formatReport, runCheck } from '../../codegen/harness.js';
import { buildPlan, defaultConfig } from '../../codegen/plan.js';
import { backend, bench } from '../../targets/wgsl/index.js';
import { getDevice, releaseDevice } from '../../targets/wgsl/runtime.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    shape: { type: 'string', default: 'B=4,T=4096' },
    impl: { type: 'string', default: 'mask,varlen' },
    warmup: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '10' },
    profile: { type: 'boolean', default: false },
    check: { type: 'string' },
    chunk: { type: 'string' },
    threads: { type: 'string' },
    'warmup-ms': { type: 'string', default: '1000' },
  },
});

function parseShape(s: string): ProblemShape {
  const kv = Object.fromEntries(s.split(',').map((p) => p.split('=')));
  return { B: Number(kv.B ?? 1), T: Number(kv.T ?? 1) };
}

const file = positionals[0] ?? 'examples/sse_gla.sse';
const { spec, diagnostics } = compileSpecFile(file);
if (!spec) throw new Error(diagnostics.map((d) => d.message).join('\n'));
const config = defaultConfig(spec);
if (values.chunk) config.chunk = Number(values.chunk) as typeof config.chunk;
if (values.threads) config.threads = Number(values.threads);
const plan = buildPlan(spec, config);
const dev = await getDevice();
const lim = dev.limits;
console.log(`device: ${dev.description}`);
console.log(
  `limits: maxStorageBufferBindingSize ${lim.maxStorageBufferBindingSize}, maxBufferSize ${lim.maxBufferSize}, ` +
    `maxStorageBuffersPerShaderStage ${lim.maxStorageBuffersPerShaderStage}, maxComputeWorkgroupStorageSize ${lim.maxComputeWorkgroupStorageSize}, ` +
    `maxComputeInvocationsPerWorkgroup ${lim.maxComputeInvocationsPerWorkgroup}; f16 ${dev.hasF16}, timestamps ${dev.hasTimestamps}, subgroups ${dev.hasSubgroups}`,
);
const impls = values.impl!.split(',') as Impl[];
if (values.check) {
  for (const impl of impls) {
    const t = performance.now();
    const r = await runCheck({ backend, spec, plan, impl, shape: parseShape(values.check), seed: 1, workDir: 'build/.work/wgsl' });
    console.log(formatReport(r), `(${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
}
const shape = parseShape(values.shape!);
for (const impl of impls) {
  const t = performance.now();
  try {
    const r = await bench({ spec, plan, impl, shape, warmup: Number(values.warmup), repeats: Number(values.repeats), profile: values.profile, warmupMs: Number(values['warmup-ms']) });
    console.log(
      `${spec.name} ${impl} B=${shape.B},T=${shape.T} chunk ${plan.config.chunk}: forward ${r.fwdMs.toFixed(3)} ms, forward+backward ${r.fwdBwdMs?.toFixed(3) ?? '-'} ms (${r.timer}) [${((performance.now() - t) / 1000).toFixed(1)} s]`,
    );
    console.log(`  samples (ms): forward ${r.samples.fwd.map((x) => x.toFixed(2)).join(' ')}; forward+backward ${r.samples.fwdBwd.map((x) => x.toFixed(2)).join(' ')}`);
    for (const [k, v] of Object.entries(r.stages ?? {})) console.log(`  ${k.padEnd(32)} ${v.toFixed(3)} ms`);
  } catch (e) {
    console.log(`${spec.name} ${impl}: ${(e as Error).message}`);
  }
}
await releaseDevice();
