/**
 * The ssec command line. Exit codes: 0 success, 1 spec errors or failed checks, 2 usage errors.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileSpecFile, formatDiagnostics } from '../dsl/index.js';
import type { Impl, KernelSpec } from '../dsl/kernel-spec.js';
import { CUDA_ARCHS, specHash } from '../dsl/kernel-spec.js';
import { type ProblemShape, validateShape } from '../dsl/tensors.js';
import {
  DEVICE_PROFILES,
  costReport,
  formatBytes,
  formatFlops,
  formatSeconds,
} from '../codegen/cost.js';
import { buildPlan, checkConfig, defaultConfig, planId, type KernelPlan } from '../codegen/plan.js';
import { writeIfDifferent } from '../codegen/render.js';
import type { TargetBackend, TargetName } from '../codegen/target.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `ssec — compiles Sparse State Expansion (SSE) linear-attention specs into CUDA and WGSL training kernels

usage: ssec <command> [options]

commands:
  check <spec…>                 diagnostics only
  explain <spec>                resolved spec, kernel plan, FLOPs, bytes and roofline floor
  ref <spec>                    run the float64 reference on random inputs
  build <spec>                  generate kernels and host bindings for a target
  run <spec>                    build, run on the device and check against the reference
  bench <spec>                  time forward and forward+backward on the device
  demo                          build every example for both targets and check each one

Run 'ssec <command> --help' for a command's options.
Exit codes: 0 ok, 1 spec errors or failed checks, 2 usage errors.`,
  check: `usage: ssec check <spec.sse…>

Parses and checks each spec; prints every diagnostic as file:line:col with a caret excerpt.
Exit 1 when any spec has an error (warnings alone exit 0).`,
  explain: `usage: ssec explain <spec.sse> [--shape B=4,T=4096] [--seqlens a,b,…] [--device h100|h200]
                    [--chunk C] [--target cuda] [--arch sm_90] [--json]

Prints the resolved spec, the plan's kernels per impl, and per impl the FLOPs and bytes of forward
and backward, state bytes, and the roofline floor on the device profile.
--target cuda adds registers, shared memory and spills per kernel from nvcc (needs nvcc).`,
  ref: `usage: ssec ref <spec.sse> [--shape B=2,T=100] [--seqlens a,b,…] [--seed N] [--json]

Runs the float64 reference (recurrent forward and backward) on random inputs, cross-checks the
chunked reference of each impl against it, and prints a summary.`,
  build: `usage: ssec build <spec.sse> --target cuda|wgsl [--out DIR] [--chunk C]

Writes the target's kernels, host bindings and manifest.json to DIR (default build/<target>/<name>).
Files whose content did not change are not rewritten.`,
  run: `usage: ssec run <spec.sse> --target cuda|wgsl [--impl mask|varlen] [--shape B=2,T=300]
                [--seqlens 5,300,1,64] [--seed N] [--gate-scale X] [--chunk C] [--json]

Builds, uploads fresh random inputs (outputs poisoned with NaN first), runs forward and backward,
and compares every output, final state and gradient with the float64 reference.
--gate-scale multiplies the sampled log-decays (default 1; e.g. 64 for decays strong enough
to take the kernels' guarded paths).
Exit 1 when any check fails.`,
  bench: `usage: ssec bench <spec.sse> --target cuda|wgsl [--impl mask|varlen] [--shape B=4,T=4096]
                  [--warmup N] [--repeats N] [--chunk C] [--json]

Times forward and forward+backward (medians of repeats after warm-up) and prints them beside the
roofline floor. A benchmark, not a check.`,
  demo: `usage: ssec demo [--target cuda|wgsl]

Builds every example in examples/ for each target and runs 'ssec run' on each with a small shape.
Targets whose device is absent are built and reported as not run; specs a target does not support are reported as such.`,
};

function parse<K extends string>(args: string[], options: Record<K, { type: 'string' }>) {
  try {
    const r = parseArgs({ args, options: { ...options, help: { type: 'boolean' as const }, json: { type: 'boolean' as const } } as Record<string, { type: 'string' | 'boolean' }>, allowPositionals: true, strict: true });
    return { positionals: r.positionals, values: r.values as Partial<Record<K, string>> & { json?: boolean } };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A target's module, loaded on demand so one missing toolchain never breaks the other commands. */
function targetModule<T>(name: TargetName): Promise<T> {
  const path = `../targets/${name}/index.js`;
  return import(path) as Promise<T>;
}

function parseShape(text: string | undefined, fallback: ProblemShape, seqlens?: string): ProblemShape {
  const shape: ProblemShape = { ...fallback };
  if (text) {
    for (const part of text.split(',')) {
      const m = /^\s*([BT])\s*=\s*(\d+)\s*$/.exec(part);
      if (!m) throw new UsageError(`--shape expects B=<int>,T=<int>; got '${part}'`);
      shape[m[1] as 'B' | 'T'] = Number(m[2]);
    }
  }
  if (seqlens) {
    const lens = seqlens.split(',').map((s) => {
      if (!/^\s*\d+\s*$/.test(s)) throw new UsageError(`--seqlens expects comma-separated positive integers; got '${s}'`);
      return Number(s);
    });
    if (lens.some((l) => l < 1)) throw new UsageError('--seqlens: every sequence needs at least one token');
    const cu = [0];
    for (const l of lens) cu.push(cu[cu.length - 1] + l);
    return { B: 1, T: cu[cu.length - 1], cuSeqlens: cu };
  }
  return shape;
}

function loadSpec(path: string | undefined, stderr: (s: string) => void): KernelSpec | null {
  if (!path) throw new UsageError('missing spec file');
  const result = compileSpecFile(path);
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    /* reported as a diagnostic */
  }
  if (result.diagnostics.length) stderr(formatDiagnostics(result.diagnostics, text));
  return result.spec;
}

function planFor(spec: KernelSpec, chunk: string | undefined): KernelPlan {
  const config = defaultConfig(spec);
  if (chunk !== undefined) {
    const c = Number(chunk);
    if (![16, 32, 64, 128].includes(c)) throw new UsageError(`--chunk must be 16, 32, 64 or 128; got ${chunk}`);
    config.chunk = c as 16 | 32 | 64 | 128;
  }
  const issues = checkConfig(spec, config);
  if (issues.length) throw new UsageError(issues.map((i) => `${i.code}: ${i.message}`).join('\n'));
  return buildPlan(spec, config);
}

async function loadBackend(name: string | undefined): Promise<TargetBackend> {
  if (name !== 'cuda' && name !== 'wgsl') throw new UsageError(`--target must be cuda or wgsl; got ${name ?? 'nothing'}`);
  const mod = await targetModule<{ backend?: TargetBackend; default?: TargetBackend }>(name);
  const backend = mod.backend ?? mod.default;
  if (!backend) throw new Error(`target ${name} exports no backend`);
  return backend;
}

function impls(spec: KernelSpec, impl: string | undefined): Impl[] {
  if (impl === undefined) return spec.impls;
  if (impl !== 'mask' && impl !== 'varlen') throw new UsageError(`--impl must be mask or varlen; got ${impl}`);
  if (!spec.impls.includes(impl)) throw new UsageError(`the spec does not enable impl ${impl} (it has: ${spec.impls.join(', ')})`);
  return [impl];
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.out(HELP.main);
      return cmd === undefined ? 2 : 0;
    }
    if (!(cmd in HELP) || cmd === 'main') throw new UsageError(`unknown command '${cmd}'`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(HELP[cmd]);
      return 0;
    }
    switch (cmd) {
      case 'check':
        return cmdCheck(rest, io);
      case 'explain':
        return await cmdExplain(rest, io);
      case 'ref':
        return await cmdRef(rest, io);
      case 'build':
        return await cmdBuild(rest, io);
      case 'run':
        return await cmdRun(rest, io);
      case 'bench':
        return await cmdBench(rest, io);
      case 'demo':
        return await cmdDemo(rest, io);
    }
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`ssec: ${e.message}\nRun 'ssec ${cmd && cmd in HELP ? cmd + ' ' : ''}--help' for usage.`);
      return 2;
    }
    io.err(`ssec ${cmd}: ${(e as Error).message}`);
    return 1;
  }
}

function cmdCheck(args: string[], io: Io): number {
  const { positionals } = parse(args, {});
  if (positionals.length === 0) throw new UsageError('check needs at least one spec file');
  let errors = 0;
  for (const file of positionals) {
    const spec = loadSpec(file, io.err);
    if (spec) io.out(`${file}: ok (${spec.name}, hash ${specHash(spec)})`);
    else errors++;
  }
  return errors ? 1 : 0;
}

async function cmdExplain(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(args, {
    shape: { type: 'string' },
    seqlens: { type: 'string' },
    device: { type: 'string' },
    chunk: { type: 'string' },
    target: { type: 'string' },
    arch: { type: 'string' },
  });
  const spec = loadSpec(positionals[0], io.err);
  if (!spec) return 1;
  const shape = parseShape(values.shape, { B: 4, T: 4096 }, values.seqlens);
  const bad = validateShape(spec, shape);
  if (bad.length) throw new UsageError(bad.join('; '));
  const deviceName = values.device ?? 'h100';
  const device = DEVICE_PROFILES[deviceName];
  if (!device) throw new UsageError(`--device must be one of ${Object.keys(DEVICE_PROFILES).join(', ')}; got ${deviceName}`);
  const plan = planFor(spec, values.chunk);
  const cost = costReport(spec, shape, plan.config.chunk, device);
  let compile: unknown = undefined;
  if (values.target) {
    if (values.target !== 'cuda') throw new UsageError('explain --target supports cuda (resource usage from nvcc)');
    const arch = values.arch ?? 'sm_90';
    if (!(CUDA_ARCHS as readonly string[]).includes(arch)) throw new UsageError(`--arch must be one of ${CUDA_ARCHS.join(', ')}; got ${arch}`);
    const mod = await targetModule<{ compileReport: (spec: KernelSpec, plan: KernelPlan, arch: string) => Promise<{ text: string }> }>('cuda');
    compile = await mod.compileReport(spec, plan, arch);
  }
  if (values.json) {
    io.out(JSON.stringify({ spec, specHash: specHash(spec), shape, plan, cost, compile }, null, 2));
    return 0;
  }
  const lines: string[] = [];
  const shapeText = shape.cuSeqlens ? `cu_seqlens (${shape.cuSeqlens.length - 1} sequences, T=${shape.T})` : `B=${shape.B}, T=${shape.T}`;
  lines.push(`kernel ${spec.name}  (spec hash ${specHash(spec)}, plan ${planId(plan, 'any')})`);
  lines.push(
    `  H=${spec.heads} K=${spec.keyDim} V=${spec.valueDim} dtype=${spec.dtype} layout=${spec.layout} update=${spec.update} scale=${spec.scale.toPrecision(6)}`,
  );
  lines.push(
    `  state: shared ${spec.state.shared ? 'on' : 'off'}, ${spec.state.partitions} routed partitions` +
      (spec.route
        ? `, ${spec.route.logits} logits, write top ${spec.route.write}, read top ${spec.route.read}, scale_k ${spec.route.scaleK ? 'by prob' : 'none'}, scale_q ${spec.route.scaleQ ? 'by prob' : 'none'}, routed inputs ${spec.state.routedInputs}`
        : ''),
  );
  lines.push(
    `  chunk ${plan.config.chunk} (spec allows ${spec.chunk.join(', ')}), tiles BK=${plan.config.BK} BV=${plan.config.BV}, ${plan.config.threads} threads; impl ${spec.impls.join(', ')}; passes ${spec.passes.join(', ')}; initial state ${spec.initialState ? 'in' : 'off'}, final state ${spec.finalState ? 'out' : 'off'}`,
  );
  lines.push(`  targets: ${[spec.targets.cuda ? `cuda(${spec.targets.cuda.archs.join(', ')})` : null, spec.targets.wgsl ? 'wgsl' : null].filter(Boolean).join(', ')}`);
  lines.push('');
  for (const ip of plan.impls) {
    lines.push(`plan — ${ip.impl}`);
    for (const [pass, stages] of [['forward', ip.forward], ['backward', ip.backward]] as const) {
      for (const st of stages) {
        lines.push(`  ${pass.padEnd(8)} ${st.name.padEnd(15)} grid [${st.grid.join(', ')}] × ${st.threads}`);
      }
    }
  }
  lines.push('');
  lines.push(`cost at ${shapeText}, chunk ${cost.chunk}, on ${device.name}:`);
  lines.push(`  one state set [S,P,H,K,V] f32: ${formatBytes(cost.stateBytes)}`);
  lines.push(`  ${'impl'.padEnd(7)} ${'pass'.padEnd(17)} ${'FLOPs'.padStart(13)} ${'bytes'.padStart(11)} ${'floor'.padStart(10)}  bound`);
  for (const ic of cost.impls) {
    for (const [name, pc] of [['forward', ic.forward], ['backward', ic.backward], ['forward+backward', ic.forwardBackward]] as const) {
      lines.push(`  ${ic.impl.padEnd(7)} ${name.padEnd(17)} ${formatFlops(pc.flops).padStart(13)} ${formatBytes(pc.bytes).padStart(11)} ${formatSeconds(pc.floor).padStart(10)}  ${pc.bound}`);
    }
    lines.push(`  ${ic.impl.padEnd(7)} saved chunk states: ${formatBytes(ic.savedStateBytes)}`);
  }
  lines.push(`  device profile: ${device.source}`);
  if (compile) {
    lines.push('');
    lines.push((compile as { text: string }).text);
  }
  io.out(lines.join('\n'));
  return 0;
}

async function cmdRef(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(args, { shape: { type: 'string' }, seqlens: { type: 'string' }, seed: { type: 'string' }, chunk: { type: 'string' } });
  const spec = loadSpec(positionals[0], io.err);
  if (!spec) return 1;
  const shape = parseShape(values.shape, { B: 2, T: 100 }, values.seqlens);
  const bad = validateShape(spec, shape);
  if (bad.length) throw new UsageError(bad.join('; '));
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer; got ${values.seed}`);
  const plan = planFor(spec, values.chunk);
  const ref = await import('../dsl/reference/index.js');
  const inputs = ref.randomInputs(spec, shape, seed);
  const cot = ref.randomCotangents(spec, shape, seed + 1);
  const t0 = performance.now();
  const fwd = ref.referenceForward(spec, shape, inputs);
  const t1 = performance.now();
  const bwd = spec.passes.includes('backward') ? ref.referenceBackward(spec, shape, inputs, cot) : {};
  const t2 = performance.now();
  const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / Math.max(1, a.length));
  const tensors = Object.entries({ ...fwd, ...bwd }).map(([name, a]) => ({ name, size: a.length, rms: norm(a) }));
  const chunked = plan.impls.map((ip) => {
    const cf = ref.chunkedForward(spec, shape, inputs, { impl: ip.impl, chunk: plan.config.chunk });
    const cb = spec.passes.includes('backward') ? ref.chunkedBackward(spec, shape, inputs, cot, { impl: ip.impl, chunk: plan.config.chunk }) : {};
    const all = { ...cf, ...cb } as Record<string, Float64Array>;
    let worst = 0;
    const exp = { ...fwd, ...bwd } as Record<string, Float64Array>;
    for (const [name, a] of Object.entries(exp)) {
      if (!all[name]) continue;
      worst = Math.max(worst, ref.compareTensor(name, a, all[name], 1e-10).relRms);
    }
    return { impl: ip.impl, chunk: plan.config.chunk, worstRelRms: worst };
  });
  const routing = spec.route ? ref.route(spec, shape, inputs.e) : null;
  let unselected: number[] = [];
  if (routing) {
    const N = spec.state.partitions;
    const used = new Array(N).fill(0);
    for (let i = 0; i < routing.writers.length; i++) if (routing.writers[i] || routing.readers[i]) used[i % N]++;
    unselected = used.flatMap((u, i) => (u === 0 ? [i] : []));
  }
  const summary = { spec: spec.name, shape, seed, forwardMs: t1 - t0, backwardMs: t2 - t1, tensors, chunked, unselectedPartitions: unselected };
  if (values.json) {
    io.out(JSON.stringify(summary, null, 2));
  } else {
    const lines = [`reference ${spec.name} at ${shape.cuSeqlens ? `cu_seqlens ${shape.cuSeqlens.join(',')}` : `B=${shape.B},T=${shape.T}`}, seed ${seed}`];
    lines.push(`  recurrent forward ${(t1 - t0).toFixed(1)} ms, backward ${(t2 - t1).toFixed(1)} ms (float64)`);
    lines.push(`  ${'tensor'.padEnd(8)} ${'elements'.padStart(10)} ${'rms'.padStart(10)}`);
    for (const t of tensors) lines.push(`  ${t.name.padEnd(8)} ${String(t.size).padStart(10)} ${t.rms.toExponential(3).padStart(10)}`);
    for (const c of chunked) lines.push(`  chunked ${c.impl} (chunk ${c.chunk}) vs recurrent: worst relative RMS ${c.worstRelRms.toExponential(2)}`);
    if (spec.route) lines.push(`  partitions no token selected: ${unselected.length ? unselected.join(', ') : 'none'}`);
    io.out(lines.join('\n'));
  }
  return chunked.every((c) => c.worstRelRms <= 1e-10) ? 0 : 1;
}

async function cmdBuild(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(args, { target: { type: 'string' }, out: { type: 'string' }, chunk: { type: 'string' } });
  const spec = loadSpec(positionals[0], io.err);
  if (!spec) return 1;
  const backend = await loadBackend(values.target);
  const plan = planFor(spec, values.chunk);
  const out = values.out ?? join('build', backend.name, spec.name);
  const files = backend.render(spec, plan);
  const w = writeIfDifferent(out, files);
  io.out(`${spec.name} → ${out}: ${files.length} files (${w.written.length} written, ${w.unchanged.length} unchanged)`);
  for (const f of w.written) io.out(`  wrote ${f}`);
  return 0;
}

async function cmdRun(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(args, {
    target: { type: 'string' },
    impl: { type: 'string' },
    shape: { type: 'string' },
    seqlens: { type: 'string' },
    seed: { type: 'string' },
    'gate-scale': { type: 'string' },
    chunk: { type: 'string' },
  });
  const spec = loadSpec(positionals[0], io.err);
  if (!spec) return 1;
  const backend = await loadBackend(values.target);
  const gateScale = values['gate-scale'] === undefined ? undefined : Number(values['gate-scale']);
  if (gateScale !== undefined && !(Number.isFinite(gateScale) && gateScale >= 0)) throw new UsageError(`--gate-scale must be a finite number >= 0; got ${values['gate-scale']}`);
  const shape = parseShape(values.shape, { B: 2, T: 300 }, values.seqlens);
  const bad = validateShape(spec, shape);
  if (bad.length) throw new UsageError(bad.join('; '));
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer; got ${values.seed}`);
  const plan = planFor(spec, values.chunk);
  const { runCheck, formatReport } = await import('../codegen/harness.js');
  const reports = [];
  for (const impl of impls(spec, values.impl)) {
    const report = await runCheck({ backend, spec, plan, impl, shape, seed, gateScale, workDir: join('build', '.work', backend.name, planId(plan, backend.name)) });
    reports.push(report);
    if (!values.json) io.out(formatReport(report));
  }
  if (values.json) io.out(JSON.stringify(reports, null, 2));
  return reports.every((r) => r.pass) ? 0 : 1;
}

async function cmdBench(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(args, {
    target: { type: 'string' },
    impl: { type: 'string' },
    shape: { type: 'string' },
    seqlens: { type: 'string' },
    warmup: { type: 'string' },
    repeats: { type: 'string' },
    chunk: { type: 'string' },
    device: { type: 'string' },
  });
  const spec = loadSpec(positionals[0], io.err);
  if (!spec) return 1;
  if (values.target !== 'cuda' && values.target !== 'wgsl') throw new UsageError(`--target must be cuda or wgsl; got ${values.target ?? 'nothing'}`);
  const shape = parseShape(values.shape, { B: 4, T: 4096 }, values.seqlens);
  const bad = validateShape(spec, shape);
  if (bad.length) throw new UsageError(bad.join('; '));
  const plan = planFor(spec, values.chunk);
  const mod = await targetModule<{
    bench?: (o: { spec: KernelSpec; plan: KernelPlan; impl: Impl; shape: ProblemShape; warmup: number; repeats: number }) => Promise<{ device: string; fwdMs: number; fwdBwdMs: number | null; timer?: string }>;
  }>(values.target);
  if (!mod.bench) {
    throw new Error(
      values.target === 'cuda'
        ? 'the CUDA benchmark runs from Python beside fla: python3 test/bench/cuda_vs_fla.py (see docs/performance.md)'
        : `target ${values.target} has no benchmark`,
    );
  }
  const device = DEVICE_PROFILES[values.device ?? 'h100'];
  if (!device) throw new UsageError(`--device must be one of ${Object.keys(DEVICE_PROFILES).join(', ')}`);
  const cost = costReport(spec, shape, plan.config.chunk, device);
  const rows = [];
  for (const impl of impls(spec, values.impl)) {
    const r = await mod.bench({ spec, plan, impl, shape, warmup: Number(values.warmup ?? 5), repeats: Number(values.repeats ?? 20) });
    const c = cost.impls.find((x) => x.impl === impl)!;
    rows.push({ impl, ...r, floorFwdMs: c.forward.floor * 1e3, floorFwdBwdMs: c.forwardBackward.floor * 1e3 });
  }
  if (values.json) io.out(JSON.stringify({ spec: spec.name, shape, chunk: plan.config.chunk, rows }, null, 2));
  else {
    io.out(`${spec.name} on ${rows[0]?.device ?? '?'} at ${shape.cuSeqlens ? 'cu_seqlens' : `B=${shape.B},T=${shape.T}`}, chunk ${plan.config.chunk} (medians)`);
    io.out(`  ${'impl'.padEnd(7)} ${'fwd ms'.padStart(9)} ${'floor'.padStart(8)} ${'×floor'.padStart(7)} ${'fwd+bwd ms'.padStart(11)} ${'floor'.padStart(8)} ${'×floor'.padStart(7)}`);
    for (const r of rows) {
      const fb = r.fwdBwdMs === null ? '-' : r.fwdBwdMs.toFixed(3);
      const fbx = r.fwdBwdMs === null ? '-' : (r.fwdBwdMs / r.floorFwdBwdMs).toFixed(1);
      io.out(`  ${r.impl.padEnd(7)} ${r.fwdMs.toFixed(3).padStart(9)} ${r.floorFwdMs.toFixed(3).padStart(8)} ${(r.fwdMs / r.floorFwdMs).toFixed(1).padStart(7)} ${fb.padStart(11)} ${r.floorFwdBwdMs.toFixed(3).padStart(8)} ${fbx.padStart(7)}`);
    }
  }
  return 0;
}

/** Small shapes that still cross chunk boundaries, so the demo finishes on a CPU adapter. */
function demoShape(spec: KernelSpec): ProblemShape {
  const perToken = spec.heads * (spec.keyDim + spec.valueDim) * (1 + spec.state.partitions);
  return { B: 2, T: perToken > 20000 ? 70 : 100 };
}

async function cmdDemo(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { target: { type: 'string' } });
  const targets: TargetName[] = values.target ? [values.target as TargetName] : ['cuda', 'wgsl'];
  for (const t of targets) if (t !== 'cuda' && t !== 'wgsl') throw new UsageError(`--target must be cuda or wgsl; got ${t}`);
  const dir = join(root, 'examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sse')).sort();
  const { runCheck, formatReport } = await import('../codegen/harness.js');
  let failed = 0;
  const summary: string[] = [];
  for (const t of targets) {
    const backend = await loadBackend(t);
    const avail = await availability(t);
    for (const f of files) {
      const spec = loadSpec(join(dir, f), io.err);
      if (!spec) {
        failed++;
        continue;
      }
      const out = join('build', t, spec.name);
      let files2;
      let plan: KernelPlan;
      try {
        plan = planFor(spec, undefined);
        files2 = backend.render(spec, plan);
      } catch (e) {
        summary.push(`${t.padEnd(5)} ${f.padEnd(26)} not supported: ${(e as Error).message}`);
        continue;
      }
      writeIfDifferent(out, files2);
      if (!avail.ok) {
        summary.push(`${t.padEnd(5)} ${f.padEnd(26)} built (${files2.length} files) in ${out}; not run: ${avail.why}`);
        continue;
      }
      for (const impl of spec.impls) {
        const report = await runCheck({ backend, spec, plan, impl, shape: demoShape(spec), seed: 7, workDir: join('build', '.work', t, planId(plan, t)) });
        io.out(formatReport(report));
        if (!report.pass) failed++;
        summary.push(`${t.padEnd(5)} ${f.padEnd(26)} ${impl.padEnd(7)} ${report.pass ? 'PASS' : 'FAIL'} on ${report.device}`);
      }
    }
  }
  io.out('\ndemo summary');
  for (const s of summary) io.out(`  ${s}`);
  return failed ? 1 : 0;
}

async function availability(t: TargetName): Promise<{ ok: boolean; why?: string }> {
  const mod = await targetModule<{ available?: () => Promise<{ ok: boolean; why?: string }> }>(t);
  if (mod.available) return mod.available();
  return { ok: true };
}
