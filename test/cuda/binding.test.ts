/**
 * The PyTorch binding's Python side without PyTorch: binding_harness.py imports the generated module
 * against a stand-in `torch` and checks that sse_attention refuses bad inputs with a message naming the
 * tensor and the expected shape / dtype / device, that a call runs the inference forward wherever no gradient can flow
 * (torch.no_grad, or no input requiring grad) and the autograd Function otherwise, and that load_extension's build stamp rebuilds whenever
 * the sources change or the built module cannot be imported. (The real build and run are in test/gpu.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import { buildPlan } from '../../codegen/plan.js';
import { writeIfDifferent } from '../../codegen/render.js';
import { kernelIdentity, renderCuda } from '../../targets/cuda/index.js';
import { makeSpec } from '../helpers/spec.js';

interface Arg {
  shape: number[];
  dtype?: 'bf16' | 'f16' | 'f32';
  device?: string;
}
interface Call {
  name: string;
  args: Record<string, Arg | null>;
  impl?: string;
}

function runHarness(spec: KernelSpec, calls: Call[]): Record<string, string | true> {
  const dir = mkdtempSync(join(tmpdir(), 'ssec-binding-'));
  try {
    const plan = buildPlan(spec);
    writeIfDifferent(dir, renderCuda(spec, plan));
    const out = execFileSync('python3', [join(import.meta.dirname, 'binding_harness.py'), join(dir, `${kernelIdentity(spec, plan)}_torch.py`), JSON.stringify({ dtype: spec.dtype, calls })], {
      encoding: 'utf8',
      env: { ...process.env, SSEC_TORCH_BUILD: join(dir, 'build') },
    });
    const rows = out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; ok?: boolean; error?: string });
    return Object.fromEntries(rows.map((r) => [r.name, r.error ?? (r.ok === true ? true : 'false')]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const B = 2, T = 10, H = 2, K = 32, V = 48, N = 4, P = N + 1;
const tok = (d: number, o: Partial<Arg> = {}): Arg => ({ shape: [B, T, H, d], ...o });

describe('PyTorch binding: input validation and build stamp (stand-in torch)', () => {
  it('BTHD gla, own routed inputs, initial state', () => {
    const spec = makeSpec({ dtype: 'bf16', update: 'gla', heads: H, keyDim: K, valueDim: V, state: { shared: true, partitions: N, routedInputs: 'own' }, initialState: true });
    const good: Record<string, Arg | null> = {
      q: tok(K), k: tok(K), v: tok(V), g: tok(K), qr: tok(K), kr: tok(K), gr: tok(K),
      e: { shape: [B, T, N] }, initial_state: { shape: [B, P, H, K, V], dtype: 'f32' },
    };
    const r = runHarness(spec, [
      { name: 'valid', args: good },
      { name: 'valid varlen', args: { ...Object.fromEntries(Object.entries(good).map(([n, a]) => [n, a && { ...a, shape: n === 'initial_state' ? [3, P, H, K, V] : [1, 20, ...a.shape.slice(2)] }])), cu_seqlens: { shape: [4], dtype: 'f32' } }, impl: 'varlen' },
      { name: 'wrong K', args: { ...good, k: tok(16) } },
      { name: 'wrong dtype', args: { ...good, v: tok(V, { dtype: 'f32' }) } },
      { name: 'missing e', args: { ...good, e: null } },
      { name: 'wrong S', args: { ...good, initial_state: { shape: [3, P, H, K, V], dtype: 'f32' } } },
      { name: 'bf16 state', args: { ...good, initial_state: { shape: [B, P, H, K, V] } } },
      { name: 'q 3-d', args: { ...good, q: { shape: [B, T, H * K] } } },
      { name: 'cu_seqlens with B 2', args: { ...good, cu_seqlens: { shape: [3], dtype: 'f32' } } },
      { name: 'other device', args: { ...good, kr: tok(K, { device: 'cuda:1' }) } },
      { name: 'wrong impl', args: good, impl: 'dense' },
      { name: 'cpu tensors', args: Object.fromEntries(Object.entries(good).map(([n, a]) => [n, a && { ...a, device: 'cpu' }])) },
    ]);
    expect(r['valid']).toBe(true);
    expect(r['valid varlen']).toBe(true);
    // the forward taken: the autograd Function only where a gradient can flow (the harness reports it as its 'error')
    expect(r['path: grad wanted']).toBe('autograd');
    expect(r['path: torch.no_grad']).toBe('inference');
    expect(r['path: nothing requires grad']).toBe('inference');
    expect(r['wrong K']).toMatch(/ValueError: .*: k must have shape \(2, 10, 2, 32\) \(layout \[B, T, H, D\]; B=2, T=10 read from q, S=2\), got \(2, 10, 2, 16\)/);
    expect(r['wrong dtype']).toMatch(/TypeError: .*: v must be bfloat16, got float32/);
    expect(r['missing e']).toMatch(/ValueError: .*: input e is required by this spec/);
    expect(r['wrong S']).toMatch(/ValueError: .*: h0 must have shape \(2, 5, 2, 32, 48\)/);
    expect(r['bf16 state']).toMatch(/TypeError: .*: h0 must be float32, got bfloat16/);
    expect(r['q 3-d']).toMatch(/ValueError: .*: q must be a 4-d tensor \[B, T, H, D\], got \(2, 10, 64\)/);
    expect(r['cu_seqlens with B 2']).toMatch(/ValueError: .*: with cu_seqlens, B must be 1 \(got 2\)/);
    expect(r['other device']).toMatch(/ValueError: .*: kr is on cuda:1, q on cuda:0; all inputs must be on one CUDA device/);
    expect(r['cpu tensors']).toMatch(/ValueError: .*: q is on cpu; the kernels run on CUDA tensors only/);
    expect(r['wrong impl']).toMatch(/ValueError: .*: impl must be one of \('mask', 'varlen'\), got 'dense'/);
    expect(r['stamp written']).toBe(true);
    expect(r['sm_90a on a 9.0 GPU']).toBe(true);
    expect(r['no module: rebuild']).toBe(true);
    expect(r['unloadable module: rebuild']).toBe(true);
    expect(r['edited source: new key']).toBe(true);
  });

  it('BHTD decay, shared routed inputs: shapes follow the layout', () => {
    const spec = makeSpec({ dtype: 'f16', update: 'decay', layout: 'BHTD', heads: H, keyDim: K, valueDim: V, state: { shared: true, partitions: N, routedInputs: 'shared' } });
    const bh = (d: number | null): Arg => ({ shape: d === null ? [B, H, T] : [B, H, T, d] });
    const good = { q: bh(K), k: bh(K), v: bh(V), g: bh(null), e: { shape: [B, T, N] } };
    const r = runHarness(spec, [
      { name: 'valid', args: good },
      { name: 'BTHD q', args: { ...good, q: tok(K) } },
      { name: 'per-channel gate', args: { ...good, g: bh(K) } },
    ]);
    expect(r['valid']).toBe(true);
    expect(r['BTHD q']).toMatch(/ValueError: .*: q must have shape \(2, 2, 2, 32\) \(layout \[B, H, T, D\]; B=2, T=2 read from q, S=2\), got \(2, 10, 2, 32\)/);
    expect(r['per-channel gate']).toMatch(/ValueError: .*: g must have shape \(2, 2, 10\)/);
  });
});
