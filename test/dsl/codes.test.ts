/**
 * One golden test per diagnostic code: a small bad spec, and the code, severity, range, field and
 * message it must produce. docs/language.md must document exactly these codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Diagnostic, compileSpec, compileSpecFile } from '../../dsl/index.js';

/** A valid body to add one bad line to. */
const B = 'heads 4; key_dim 64; value_dim 64; update gla';

interface Golden {
  code: string;
  src: string;
  /** line:col-endLine:endCol, 1-based, end exclusive */
  at: string;
  message: string;
  field?: string;
  severity?: 'error' | 'warning';
}

const GOLDEN: Golden[] = [
  { code: 'SSE001', src: `kernel k {\n  ${B}\n  dtype bf16 $$\n}`, at: '3:14-3:16', message: "unexpected characters '$$': not part of the spec language" },
  { code: 'SSE002', src: `kernel k {\n  ${B}\n  dtype\n}`, at: '3:8-4:1', message: "expected a name after 'dtype', found end of line" },
  { code: 'SSE003', src: `kernel k {\n  ${B}\n}\nkernel j { }`, at: '4:1-4:7', message: "unexpected 'kernel' after the kernel's closing '}': a file holds one kernel" },
  { code: 'SSE004', src: '// nothing here\n', at: '1:1-1:1', message: 'the spec is empty: expected kernel NAME { heads H; key_dim K; value_dim V; update RULE }' },
  { code: 'SSE005', src: `kernel k {\n${'heads 1 2\n'.repeat(30)}}`, at: '26:9-26:10', message: 'too many syntax errors: parsing stopped after 25' },
  { code: 'SSE006', src: `kernel k { ${B} }${' '.repeat(70000)}`, at: '1:65537-1:70059', message: 'the spec is too large: 70058 characters, at most 65536' },
  { code: 'SSE007', src: 'kernel k { state { route { state { route { state { route { state { route { } } } } } } } } }', at: '1:74-1:75', message: 'blocks are nested more than 8 deep: the language has only kernel { } and state { } / route { } inside it' },
  { code: 'SSE100', src: `kernel k {\n  ${B}\n  layuot BHTD\n}`, at: '3:3-3:9', message: "unknown field 'layuot' in the kernel body; did you mean layout?" },
  { code: 'SSE101', src: `kernel k {\n  ${B}\n  heads 8\n}`, at: '3:3-3:8', field: 'heads', message: 'heads is given twice (first at line 2): give each field once' },
  { code: 'SSE102', src: `kernel k {\n  ${B}\n  partitions 4\n}`, at: '3:3-3:13', field: 'state.partitions', message: 'partitions is not allowed in the kernel body: it belongs inside state { }' },
  { code: 'SSE103', src: 'kernel k {\n  heads 4; key_dim 64; update gla\n}', at: '1:8-1:9', field: 'value_dim', message: 'missing required field value_dim: the value dimension V, 1..256' },
  { code: 'SSE104', src: 'kernel k {\n  heads 2.5; key_dim 64; value_dim 64; update gla\n}', at: '2:9-2:12', field: 'heads', message: 'heads 2.5 is not an integer: allowed 1..128' },
  { code: 'SSE105', src: 'kernel k {\n  heads 4; key_dim 300; value_dim 64; update gla\n}', at: '2:20-2:23', field: 'key_dim', message: "key_dim 300 is out of range: allowed 1..256 (the state K×V must fit the kernels' tiles)" },
  { code: 'SSE106', src: `kernel k {\n  ${B}\n  dtype fp16\n}`, at: '3:9-3:13', field: 'dtype', message: "dtype 'fp16' is not allowed: use f32, f16 or bf16; did you mean f16?" },
  { code: 'SSE107', src: `kernel __k {\n  ${B}\n}`, at: '1:8-1:11', field: 'name', message: "kernel name '__k' starts with '__', which C/C++ and WGSL reserve for the implementation" },
  { code: 'SSE108', src: `kernel float {\n  ${B}\n}`, at: '1:8-1:13', field: 'name', message: "kernel name 'float' is a reserved word in C/C++, CUDA or WGSL (or of ssec): choose another name, e.g. float_layer" },
  { code: 'SSE109', src: `kernel k {\n  ${B}\n  scale 1/sqrt(value)\n}`, at: '3:9-3:22', field: 'scale', message: 'scale 1/sqrt(value) is not allowed: sqrt takes a number or key_dim' },
  { code: 'SSE110', src: `kernel k {\n  ${B}\n  chunk 32, 48\n}`, at: '3:13-3:15', field: 'chunk', message: 'chunk 48 is not allowed: use 16, 32, 64 or 128, a list of them, or auto' },
  { code: 'SSE111', src: `kernel k {\n  ${B}\n  targets cuda(sm_80, sm_70)\n}`, at: '3:23-3:28', field: 'targets', message: "unknown CUDA architecture 'sm_70': use sm_80, sm_86, sm_89, sm_90 or sm_90a; did you mean sm_80?" },
  { code: 'SSE112', src: `kernel k {\n  ${B}\n  targets cuda, wgsl(sm_80)\n}`, at: '3:17-3:28', field: 'targets', message: 'target wgsl takes no arguments: write wgsl, not wgsl(...)' },
  { code: 'SSE200', src: `kernel k {\n  ${B}\n  state { shared off }\n}`, at: '3:18-3:21', field: 'state.shared', message: 'shared off with partitions 0 leaves no state at all: turn shared on, or set state { partitions N } with N in 1..64' },
  { code: 'SSE201', src: `kernel k {\n  ${B}\n  state { partitions 4 }\n}`, at: '3:22-3:23', field: 'route', message: 'partitions 4 needs a route { ... } block saying how tokens pick partitions, e.g. route { write top 1; read top 1 }' },
  { code: 'SSE202', src: `kernel k {\n  ${B}\n  route { write top 1 }\n}`, at: '3:3-3:8', field: 'route', message: 'route { } is given but partitions is 0, so there is nothing to route: set state { partitions N } with N ≥ 1, or remove route' },
  { code: 'SSE203', src: `kernel k {\n  ${B}\n  state { partitions 4 }\n  route { write top 1; read top 5 }\n}`, at: '4:33-4:34', field: 'route.read', message: 'read top 5 exceeds partitions 4: allowed 1..4' },
  { code: 'SSE204', src: `kernel k {\n  ${B}\n  passes backward\n}`, at: '3:3-3:18', field: 'passes', message: 'passes backward needs forward too: the backward kernels recompute from the forward pass; write passes forward, backward' },
  { code: 'SSE300', severity: 'warning', src: `kernel k {\n  ${B}\n  state { partitions 4 }\n  route { scale_k by none; scale_q by none }\n}`, at: '4:28-4:43', field: 'route.scale_q', message: 'scale_k by none and scale_q by none: the routing probabilities scale nothing, so the router logits get no gradient; scale at least one by prob' },
  { code: 'SSE301', severity: 'warning', src: `kernel k {\n  ${B}\n  state { partitions 2 }\n  route { write top 2 }\n}`, at: '4:11-4:22', field: 'route', message: 'write top 2 and read top 2 select all 2 partitions: every token uses every partition, so routing does nothing; lower top or use fewer partitions' },
  { code: 'SSE302', severity: 'warning', src: 'kernel k {\n  heads 1; key_dim 64; value_dim 64; update gla\n  state { partitions 4 }\n  route { logits per_head }\n}', at: '4:18-4:26', field: 'route.logits', message: 'logits per_head with heads 1 is the same as per_token; per_token is the usual spelling' },
  { code: 'SSE303', severity: 'warning', src: 'kernel k {\n  heads 4; key_dim 60; value_dim 64; update gla\n}', at: '2:20-2:22', field: 'key_dim', message: 'key_dim 60 is not a multiple of 16: tensor-core tiles are padded to 64, wasting work' },
  { code: 'SSE304', severity: 'warning', src: `kernel k {\n  ${B}\n  scale 1\n}`, at: '3:9-3:10', field: 'scale', message: 'scale 1 is more than 4× away from 1/sqrt(key_dim) = 0.125: attention logits will be badly scaled' },
  { code: 'SSE305', severity: 'warning', src: `kernel k {\n  ${B}\n  impl mask, varlen, mask\n}`, at: '3:22-3:26', field: 'impl', message: "impl lists 'mask' twice; the repeat is ignored" },
  { code: 'SSE306', severity: 'warning', src: `kernel k {\n  ${B}\n  state { routed_inputs own }\n}`, at: '3:25-3:28', field: 'state.routed_inputs', message: 'routed_inputs own has no effect with partitions 0: there is no routed branch to give its own inputs' },
];

function at(d: Diagnostic): string {
  const r = d.range;
  return `${r.line}:${r.column}-${r.endLine}:${r.endColumn}`;
}

describe('one golden spec per diagnostic code', () => {
  for (const g of GOLDEN) {
    it(`${g.code}: ${g.message.slice(0, 60)}`, () => {
      const r = compileSpec(g.src, 'golden.sse');
      const hits = r.diagnostics.filter((d) => d.code === g.code);
      expect(hits.length, JSON.stringify(r.diagnostics, null, 1)).toBe(1);
      const d = hits[0];
      expect({ severity: d.severity, at: at(d), message: d.message, field: d.field, file: d.file }).toEqual({
        severity: g.severity ?? 'error',
        at: g.at,
        message: g.message,
        field: g.field,
        file: 'golden.sse',
      });
      // offset/length agree with line/column
      const lines = g.src.slice(0, d.range.offset).split('\n');
      expect([lines.length, lines[lines.length - 1].length + 1]).toEqual([d.range.line, d.range.column]);
      // warnings still give a spec; errors never do
      expect(r.spec === null).toBe(r.diagnostics.some((x) => x.severity === 'error'));
      if (g.severity === 'warning') expect(r.diagnostics.map((x) => x.code)).toEqual([g.code]);
    });
  }

  it('SSE005: at most 100 diagnostics, then one saying how many more', () => {
    const r = compileSpec(`kernel k {\n  heads 4; key_dim 64; value_dim 64; update gla\n${'  heads 5\n'.repeat(150)}}`);
    expect(r.diagnostics).toHaveLength(101);
    expect(r.diagnostics.slice(0, 100).every((d) => d.code === 'SSE101')).toBe(true);
    const last = r.diagnostics[100];
    expect([last.code, last.message, last.range.line, last.range.column]).toEqual(['SSE005', 'too many problems: 50 more not shown', 103, 3]);
  });

  it('SSE000: a missing file is a diagnostic, not an exception', () => {
    const r = compileSpecFile('/nonexistent/dir/spec.sse');
    expect(r.spec).toBeNull();
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'SSE000',
        message: 'cannot read spec file /nonexistent/dir/spec.sse: no such file (ENOENT)',
        range: { line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, length: 0 },
        file: '/nonexistent/dir/spec.sse',
      },
    ]);
    expect(compileSpecFile(import.meta.dirname).diagnostics[0].message).toMatch(/it is a directory \(EISDIR\)$/);
  });

  it('docs/language.md documents exactly the codes tested here (plus the internal-error code)', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/language.md'), 'utf8');
    const documented = new Set(doc.match(/^#+ .*?\b(SSE\d{3})\b/gm)?.map((h) => h.match(/SSE\d{3}/)![0]));
    const tested = new Set(['SSE000', 'SSE099', ...GOLDEN.map((g) => g.code)]);
    expect([...documented].sort()).toEqual([...tested].sort());
  });
});

describe('more value checks', () => {
  const codes = (src: string) => compileSpec(src).diagnostics.map((d) => `${d.code} ${d.message}`);

  it('huge and odd numbers are range errors naming the field, never NaN/Infinity', () => {
    const k = (f: string) => `kernel k { heads 4; key_dim 64; value_dim 64; update gla; ${f} }`;
    expect(codes('kernel k { heads 1e400; key_dim 64; value_dim 64; update gla }')).toEqual(['SSE105 heads 1e400 is out of range: allowed 1..128']);
    expect(codes('kernel k { heads 99999999999999999999; key_dim 64; value_dim 64; update gla }')).toEqual(['SSE105 heads 99999999999999999999 is out of range: allowed 1..128']);
    expect(codes('kernel k { heads -3; key_dim 64; value_dim 64; update gla }')).toEqual(['SSE105 heads -3 is out of range: allowed 1..128']);
    expect(codes('kernel k { heads 4; key_dim 64; value_dim 64; update gla; state { partitions 65 } }')).toEqual(['SSE105 partitions 65 is out of range: allowed 0..64 (routed state partitions per head)']);
    expect(codes(k('scale 1e-400'))).toEqual(['SSE109 scale 1e-400 is not positive: it must be a positive finite number, e.g. 1/sqrt(key_dim)']);
    expect(codes(k('scale 1e300/1e-300'))).toEqual(['SSE109 scale 1e300/1e-300 is not a finite number: it must be a positive finite number, e.g. 1/sqrt(key_dim)']);
    expect(codes(k('scale 1/0'))).toEqual(['SSE109 scale 1/0 divides by zero: it must be a positive finite number']);
    expect(codes(k('scale 1/sqrt(-4)'))).toEqual(['SSE109 scale 1/sqrt(-4) takes the root of a number that is not positive: it must be a positive finite number']);
  });

  it('top-k bounds name N', () => {
    const r = (route: string) => codes(`kernel k { heads 4; key_dim 64; value_dim 64; update gla; state { partitions 4 }; route { ${route} } }`);
    expect(r('write top 0')).toEqual(['SSE105 write top 0 is out of range: allowed 1..4 (partitions 4)']);
    expect(r('write top 5')).toEqual(['SSE203 write top 5 exceeds partitions 4: allowed 1..4']);
    expect(r('read top 1.5')).toEqual(['SSE104 read top 1.5 is not an integer: allowed 1..64 (partitions 4)']);
  });

  it('kernel names: long, C-reserved prefixes, WGSL and CUDA words', () => {
    const name = (n: string) => codes(`kernel ${n} { heads 4; key_dim 64; value_dim 64; update gla }`);
    expect(name('a'.repeat(65))).toEqual([`SSE107 kernel name '${'a'.repeat(24)}…' is 65 characters long: at most 64`]);
    expect(name('a'.repeat(64))).toEqual([]);
    expect(name('_Foo')[0]).toMatch(/^SSE107 kernel name '_Foo' starts with '_' and a capital letter/);
    for (const w of ['fn', 'var', 'let', 'struct', 'return', 'main', 'kernel', 'threadIdx', 'template', 'namespace', 'while']) {
      expect(name(w)[0], w).toMatch(/^SSE108 /);
    }
    expect(name('route')).toEqual([]); // keywords of the spec language are fine as names
  });

  it('unknown fields suggest the closest field, or list the block fields', () => {
    const k = (f: string) => codes(`kernel k { heads 4; key_dim 64; value_dim 64; update gla; ${f} }`);
    expect(k('keydim 3')).toEqual(["SSE100 unknown field 'keydim' in the kernel body; did you mean key_dim?"]);
    expect(k('state { shraed on }')).toEqual(["SSE100 unknown field 'shraed' in state { }; did you mean shared?"]);
    expect(k('zzzzzz 1')[0]).toBe("SSE100 unknown field 'zzzzzz' in the kernel body; fields here: heads, key_dim, value_dim, layout, dtype, update, state, route, scale, chunk, impl, passes, initial_state, final_state, targets");
  });

  it('values: suggestions for every word-valued field', () => {
    const k = (f: string) => codes(`kernel k { heads 4; key_dim 64; value_dim 64; update gla; ${f} }`)[0];
    expect(k('layout bthd')).toBe("SSE106 layout 'bthd' is not allowed: use BTHD or BHTD; did you mean BTHD?");
    expect(k('impl mask, varln')).toBe("SSE106 impl entry 'varln' is not allowed: use mask or varlen; did you mean varlen?");
    expect(k('targets metal')).toBe("SSE106 target 'metal' is not allowed: use cuda or wgsl");
    expect(k('state { shared yes }')).toBe("SSE106 shared 'yes' is not allowed: use on or off");
    expect(k('targets cuda()')).toBe('SSE112 cuda() lists no architectures: write cuda for the default (sm_80, sm_90) or list some of sm_80, sm_86, sm_89, sm_90, sm_90a');
  });
});
