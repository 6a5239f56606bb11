/** The examples and the brief's sketch compile cleanly to the expected KernelSpec; hashes are stable. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type KernelSpec, compileSpec, compileSpecFile, specHash } from '../../dsl/index.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');

/** The sketch from the design brief, verbatim. */
const SKETCH = readFileSync(join(import.meta.dirname, 'golden/sketch.sse'), 'utf8');

function ok(text: string): KernelSpec {
  const r = compileSpec(text, 'test.sse');
  expect(r.diagnostics).toEqual([]);
  expect(r.spec).not.toBeNull();
  return r.spec!;
}

function example(name: string): KernelSpec {
  const r = compileSpecFile(join(EXAMPLES, name));
  expect(r.diagnostics).toEqual([]);
  expect(r.spec).not.toBeNull();
  return r.spec!;
}

describe('examples', () => {
  it('every example has a header comment and compiles without diagnostics', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.sse'));
    expect(files.sort()).toEqual(['gla.sse', 'sse_decay_kw2_kr1.sse', 'sse_gdn.sse', 'sse_gla.sse', 'sse_gla_top2.sse']);
    for (const f of files) {
      const text = readFileSync(join(EXAMPLES, f), 'utf8');
      expect(text.startsWith('//'), f).toBe(true);
      expect(compileSpec(text, f).diagnostics, f).toEqual([]);
    }
  });

  it('the sketch resolves to the paper SSE-GLA, with every field as written', () => {
    const s = ok(SKETCH);
    expect(s).toEqual({
      name: 'sse_gla',
      heads: 6,
      keyDim: 256,
      valueDim: 256,
      layout: 'BTHD',
      dtype: 'bf16',
      update: 'gla',
      state: { shared: true, partitions: 4, routedInputs: 'shared' },
      route: { logits: 'per_token', write: 1, read: 1, scaleK: true, scaleQ: true },
      scale: 0.0625,
      chunk: [64],
      impls: ['mask', 'varlen'],
      passes: ['forward', 'backward'],
      initialState: false,
      finalState: false,
      targets: { cuda: { archs: ['sm_80', 'sm_90'] }, wgsl: true },
    } satisfies KernelSpec);
  });

  it('sse_gla.sse is the sketch (same hash)', () => {
    expect(specHash(example('sse_gla.sse'))).toBe(specHash(ok(SKETCH)));
  });

  it('sse_gla_top2.sse: N=8, top-2 write and read, H=16, K=V=128', () => {
    const s = example('sse_gla_top2.sse');
    expect(s.name).toBe('sse_gla_top2');
    expect([s.heads, s.keyDim, s.valueDim]).toEqual([16, 128, 128]);
    expect(s.update).toBe('gla');
    expect(s.state).toEqual({ shared: true, partitions: 8, routedInputs: 'shared' });
    expect(s.route).toEqual({ logits: 'per_token', write: 2, read: 2, scaleK: true, scaleQ: true });
    expect(s.scale).toBeCloseTo(1 / Math.sqrt(128), 15);
  });

  it('sse_gdn.sse: gdn, routed_inputs own, N=4 top-1, explicit 1/sqrt(key_dim)', () => {
    const s = example('sse_gdn.sse');
    expect(s.update).toBe('gdn');
    expect([s.heads, s.keyDim, s.valueDim]).toEqual([4, 128, 128]);
    expect(s.state).toEqual({ shared: true, partitions: 4, routedInputs: 'own' });
    expect(s.route?.write).toBe(1);
    expect(s.route?.read).toBe(1);
    expect(s.scale).toBe(1 / Math.sqrt(128));
  });

  it('gla.sse: no routing at all', () => {
    const s = example('gla.sse');
    expect(s.state).toEqual({ shared: true, partitions: 0, routedInputs: 'shared' });
    expect(s.route).toBeNull();
    expect([s.heads, s.keyDim, s.valueDim]).toEqual([4, 128, 128]);
  });

  it('sse_decay_kw2_kr1.sse: decay, k_w=2 ≠ k_r=1, K≠V, f32, state in and out', () => {
    const s = example('sse_decay_kw2_kr1.sse');
    expect(s.update).toBe('decay');
    expect(s.dtype).toBe('f32');
    expect([s.keyDim, s.valueDim]).toEqual([128, 64]);
    expect(s.state.partitions).toBe(6);
    expect(s.route).toEqual({ logits: 'per_token', write: 2, read: 1, scaleK: true, scaleQ: true });
    expect(s.chunk).toEqual([32, 64]);
    expect([s.initialState, s.finalState]).toEqual([true, true]);
  });
});

describe('defaults and normal forms', () => {
  const MIN = 'kernel m { heads 2; key_dim 64; value_dim 32; update linear }';

  it('fills every default', () => {
    expect(ok(MIN)).toEqual({
      name: 'm',
      heads: 2,
      keyDim: 64,
      valueDim: 32,
      layout: 'BTHD',
      dtype: 'bf16',
      update: 'linear',
      state: { shared: true, partitions: 0, routedInputs: 'shared' },
      route: null,
      scale: 0.125,
      chunk: [64],
      impls: ['mask', 'varlen'],
      passes: ['forward', 'backward'],
      initialState: false,
      finalState: false,
      targets: { cuda: { archs: ['sm_80', 'sm_90'] }, wgsl: true },
    } satisfies KernelSpec);
  });

  it('route defaults: per_token, write top 1, read top = write top, both scaled by prob', () => {
    const s = ok('kernel m { heads 2; key_dim 64; value_dim 64; update gla\n state { partitions 8 }\n route { write top 3 } }');
    expect(s.route).toEqual({ logits: 'per_token', write: 3, read: 3, scaleK: true, scaleQ: true });
    const t = ok('kernel m { heads 2; key_dim 64; value_dim 64; update gla\n state { partitions 8 }\n route { } }');
    expect(t.route).toEqual({ logits: 'per_token', write: 1, read: 1, scaleK: true, scaleQ: true });
  });

  it('chunk: sorted, deduplicated; auto is every size', () => {
    expect(ok(`${MIN.slice(0, -1)}; chunk 128, 16, 64 }`).chunk).toEqual([16, 64, 128]);
    expect(ok(`${MIN.slice(0, -1)}; chunk auto }`).chunk).toEqual([16, 32, 64, 128]);
  });

  it('targets: bare cuda is sm_80 + sm_90; archs in CUDA_ARCHS order; wgsl alone drops cuda', () => {
    expect(ok(`${MIN.slice(0, -1)}; targets cuda }`).targets).toEqual({ cuda: { archs: ['sm_80', 'sm_90'] }, wgsl: false });
    expect(ok(`${MIN.slice(0, -1)}; targets wgsl, cuda(sm_90a, sm_86) }`).targets).toEqual({ cuda: { archs: ['sm_86', 'sm_90a'] }, wgsl: true });
    expect(ok(`${MIN.slice(0, -1)}; targets wgsl }`).targets).toEqual({ cuda: null, wgsl: true });
    const merged = compileSpec(`${MIN.slice(0, -1)}; targets cuda, cuda(sm_86) }`);
    expect(merged.spec?.targets).toEqual({ cuda: { archs: ['sm_80', 'sm_86', 'sm_90'] }, wgsl: false });
    expect(merged.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["SSE305 targets lists 'cuda' twice; the entries are merged"]);
  });

  it('scale forms', () => {
    expect(ok(`${MIN.slice(0, -1)}; scale 0.0625 }`).scale).toBe(0.0625);
    expect(ok(`${MIN.slice(0, -1)}; scale 1/16 }`).scale).toBe(0.0625);
    expect(ok(`${MIN.slice(0, -1)}; scale 1/sqrt(256) }`).scale).toBe(0.0625);
    expect(ok(`${MIN.slice(0, -1)}; scale 1/sqrt(key_dim) }`).scale).toBe(0.125);
    expect(ok(`${MIN.slice(0, -1)}; scale 2.5e-1 }`).scale).toBe(0.25);
  });

  it('other optional fields', () => {
    const s = ok(`kernel o {
      heads 128; key_dim 256; value_dim 16; update decay   # ends of the ranges
      layout BHTD; dtype f16
      state { shared off; partitions 64; routed_inputs own }
      route { logits per_head; write top 64; read top 1; scale_k by none; scale_q by prob }
      impl varlen; passes forward
      initial_state on; final_state off
      targets cuda(sm_89,sm_80)
    }`);
    expect(s.layout).toBe('BHTD');
    expect(s.dtype).toBe('f16');
    expect(s.state).toEqual({ shared: false, partitions: 64, routedInputs: 'own' });
    expect(s.route).toEqual({ logits: 'per_head', write: 64, read: 1, scaleK: false, scaleQ: true });
    expect(s.impls).toEqual(['varlen']);
    expect(s.passes).toEqual(['forward']);
    expect([s.initialState, s.finalState]).toEqual([true, false]);
    expect(s.targets).toEqual({ cuda: { archs: ['sm_80', 'sm_89'] }, wgsl: false });
  });
});

describe('specHash', () => {
  const base = specHash(ok(SKETCH));

  it('is the same across whitespace, comments, field order, list order and explicit defaults', () => {
    const variants = [
      // one line
      'kernel sse_gla { heads 6; key_dim 256; value_dim 256; update gla; state { partitions 4 }; route { write top 1 } }',
      // fields shuffled, lists reversed, comments, blank lines, CRLF
      [
        '# SSE-GLA again',
        'kernel sse_gla {',
        '',
        '  targets wgsl, cuda(sm_90, sm_80)   // reordered',
        '  route { scale_q by prob; read top 1',
        '          write top 1 }',
        '  passes backward, forward; impl varlen, mask',
        '  update gla',
        '  state {',
        '    partitions 4',
        '  }',
        '  value_dim 256 ; key_dim 256',
        '  heads 6',
        '  chunk 64, 64',
        '  scale 1/sqrt(key_dim)',
        '  layout BTHD; initial_state off; final_state off',
        '}',
      ].join('\r\n'),
      // tabs and scale spelled as a number
      'kernel\tsse_gla\t{\n\theads 6\n\tkey_dim 256\n\tvalue_dim 256\n\tupdate gla\n\tscale 0.0625\n\tstate { shared on; partitions 4; routed_inputs shared }\n\troute { logits per_token }\n}\n',
    ];
    for (const v of variants) {
      const r = compileSpec(v);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(specHash(r.spec!)).toBe(base);
    }
  });

  it('changes when a field changes', () => {
    const other = [
      SKETCH.replace('heads 6', 'heads 7'),
      SKETCH.replace('read top 1', 'read top 2'),
      SKETCH.replace('dtype bf16', 'dtype f16'),
      SKETCH.replace(', wgsl', ''),
      SKETCH.replace('chunk 64', 'chunk 64, 128'),
      SKETCH.replace('kernel sse_gla', 'kernel sse_gla2'),
    ];
    const hashes = other.map((t) => specHash(ok(t)));
    expect(new Set([base, ...hashes]).size).toBe(other.length + 1);
  });
});
