import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.js';
import { cudaDevices } from '../../targets/cuda/compile.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const tmp = mkdtempSync(join(tmpdir(), 'ssec-cli-'));

describe('ssec CLI', () => {
  it('--help everywhere exits 0 and names the command', async () => {
    for (const cmd of ['check', 'explain', 'ref', 'build', 'run', 'bench', 'demo']) {
      const r = await run(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`ssec ${cmd}`);
    }
    expect((await run('--help')).code).toBe(0);
  });

  it('usage errors exit 2 with a hint', async () => {
    const r = await run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'frobnicate'/);
    expect((await run('check')).code).toBe(2);
    expect((await run('explain', 'examples/sse_gla.sse', '--shape', 'B=x')).code).toBe(2);
    expect((await run('explain', 'examples/sse_gla.sse', '--bogus')).code).toBe(2);
    expect((await run('build', 'examples/sse_gla.sse', '--target', 'metal')).code).toBe(2);
  });

  it('check: every example is clean; a bad spec exits 1 with file:line:col and a code', async () => {
    const ok = await run('check', 'examples/sse_gla.sse', 'examples/gla.sse', 'examples/sse_gdn.sse');
    expect(ok.code).toBe(0);
    const bad = join(tmp, 'bad.sse');
    writeFileSync(bad, 'kernel bad {\n  heads 6; key_dim 300; value_dim 64\n  update gla\n}\n');
    const r = await run('check', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.sse:2:\d+: error SSE\d{3}/);
    expect(r.err).toMatch(/key_dim/);
    expect(r.err).not.toMatch(/\n\s+at /); // never a stack trace
  });

  it('explain prints the plan, FLOPs, bytes and the floor for sse_gla at config A', async () => {
    const r = await run('explain', 'examples/sse_gla.sse');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/plan — mask/);
    expect(r.out).toMatch(/plan — varlen/);
    expect(r.out).toMatch(/fwd_h/);
    expect(r.out).toMatch(/GFLOP/);
    expect(r.out).toMatch(/mask\s+forward\s+[\d.]+ GFLOP\s+[\d.]+ MiB\s+[\d.]+ (ms|µs)\s+compute/);
    for (const ex of ['gla.sse', 'sse_decay_kw2_kr1.sse', 'sse_gdn.sse', 'sse_gla_top2.sse']) {
      const e = await run('explain', `examples/${ex}`);
      expect(e.code, `${ex}: ${e.err}`).toBe(0);
    }
    const j = JSON.parse((await run('explain', 'examples/sse_gla.sse', '--json')).out);
    expect(j.cost.impls.map((i: { impl: string }) => i.impl)).toEqual(['mask', 'varlen']);
    expect(j.plan.impls[0].forward.length).toBeGreaterThan(2);
  });

  it('explain --target cuda lists the launches as the CUDA target runs them (fwd_ho where it replaces fwd_h + fwd_o, on wgmma at K = 256)', async () => {
    const b = await run('explain', 'examples/sse_gla_top2.sse', '--target', 'cuda');  // K = 128: fwd_ho
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/CUDA launches/);
    expect(b.out).toMatch(/mask +forward +route \(64\) → seq_index \(256\) → fwd_A \(128\) → fwd_ho \(256\) → fwd_reduce \(64\)/);
    expect(b.out).toMatch(/varlen +forward .*→ fwd_A \(128\) → fwd_ho \(256\) → fwd_reduce \(64\)/);
    expect(b.out).toMatch(/mask +backward +bwd_dh \(128\) → bwd_dA/);
    // K = 256 bf16: the forward runs fwd_h + fwd_o; the inference forward fwd_ho on wgmma where the launcher finds an
    // sm_90a build on a 9.0 GPU; the register table adds sm_90a.
    const a = await run('explain', 'examples/sse_gla.sse', '--target', 'cuda');
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/mask +forward +.*fwd_A \(128\) → fwd_h \(128\) → fwd_o \(128\)$/m);
    expect(a.out).toMatch(/mask +inference +.*fwd_A \(128\) → fwd_ho \(256, wgmma\) → fwd_reduce \(64, wgmma\) → fwd_h \(128, not wgmma\) → fwd_o \(128, not wgmma\)$/m);
    expect(a.out).toMatch(/mask +backward +bwd_dh \(128\) → bwd_dA/);
    expect(a.out).toMatch(/^sm_90a: compiled$/m);
    // the inference forward's launches are in the shared-memory list too, each kernel once
    const smem = a.out.match(/^dynamic shared memory per launch: (.*)$/m)?.[1] ?? '';
    expect(smem).toMatch(/mask_fwd_ho 18\d\.\d KiB/);
    expect(smem.match(/mask_fwd_A /g)).toHaveLength(1);
  }, 120_000);

  it('ref runs the reference and the chunked forms agree with it', async () => {
    const r = await run('ref', 'examples/sse_decay_kw2_kr1.sse', '--shape', 'B=1,T=40', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    // examples/sse_decay_kw2_kr1.sse: H=8, V=64
    expect(j.tensors.find((t: { name: string }) => t.name === 'o').size).toBe(40 * 8 * 64);
    expect(j.tensors.map((t: { name: string }) => t.name)).toContain('de');
    for (const c of j.chunked) expect(c.worstRelRms).toBeLessThan(1e-10);
  });

  // Where a GPU is present the same command runs the kernels instead (test/gpu covers that).
  it.skipIf(cudaDevices().length > 0)('run --target cuda without an NVIDIA GPU says what is missing before building (exit 1)', async () => {
    const r = await run('run', 'examples/sse_gla.sse', '--target', 'cuda', '--shape', 'B=1,T=8');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/needs an NVIDIA GPU and its driver, and this machine has none/);
    expect(r.err).not.toMatch(/ptxas|nvcc failed/);
  });
});
