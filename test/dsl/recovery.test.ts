/** Several errors from one file, parser recovery, and the text format of diagnostics. */
import { describe, expect, it } from 'vitest';
import { compileSpec, formatDiagnostic, formatDiagnostics } from '../../dsl/index.js';

const summary = (src: string) => compileSpec(src).diagnostics.map((d) => `${d.range.line}:${d.range.column} ${d.code}`);

describe('several errors at once', () => {
  it('value errors on many lines are all reported, in source order', () => {
    const src = [
      'kernel int {', //            1: reserved name
      '  heads 2.5; key_dim 300', //  2: not an integer; out of range
      '  value_dim 1e400', //         3: out of range
      '  dtype fp16', //              4: bad word
      '  head 3', //                  5: unknown field
      '  update gla',
      '  partitions 3', //            7: misplaced
      '  state { shared off; partitions 4 }',
      '  route { write top 5; read top 0 }', // 9: exceeds N; below 1
      '  chunk 48, 64; targets cuda(sm_75), wgsl(sm_80)', // 10: chunk; arch; wgsl args
      '  scale -1', //                11: not positive
      '}',
    ].join('\n');
    expect(summary(src)).toEqual([
      '1:8 SSE108',
      '2:9 SSE104',
      '2:22 SSE105',
      '3:13 SSE105',
      '4:9 SSE106',
      '5:3 SSE100',
      '7:3 SSE102',
      '9:21 SSE203',
      '9:33 SSE105',
      '10:9 SSE110',
      '10:30 SSE111',
      '10:38 SSE112',
      '11:9 SSE109',
    ]);
  });

  it('syntax errors on different lines are each reported and value checks still run', () => {
    const src = [
      'kernel x {',
      '  heads 6 key_dim 256', //        2: missing separator
      '  value_dim', //                  3: missing number
      '  dtype fp8', //                  4: bad value, still checked
      '  chunk 64,', //                  5: dangling comma
      '  update gla',
      '  targets cuda(sm_80', //         7: unclosed paren
      '  impl mask varlen', //           8: missing comma
      '}',
    ].join('\n');
    const got = compileSpec(src).diagnostics;
    expect(got.map((d) => `${d.range.line}:${d.range.column} ${d.code}`)).toEqual([
      '2:11 SSE002',
      '3:12 SSE002',
      '4:9 SSE106',
      '5:12 SSE002',
      '7:21 SSE002',
      '8:13 SSE002',
    ]);
    expect(got[0].message).toBe("expected ';' or a newline before 'key_dim': one field per statement");
    expect(got[1].message).toBe("expected a number after 'value_dim', found end of line");
    expect(got[3].message).toBe("expected a number after ',', found end of line");
    expect(got[4].message).toBe("expected ')' after 'sm_80', found end of line");
    expect(got[5].message).toBe("expected ';' or a newline before 'varlen': one field per statement");
    // With syntax errors, missing-field and cross-field checks stay quiet (they would cascade).
    expect(got.some((d) => d.code === 'SSE103')).toBe(false);
  });

  it('an unclosed kernel block', () => {
    const r = compileSpec('kernel k {\n  heads 4; key_dim 64; value_dim 64; update gla\n');
    expect(r.spec).toBeNull();
    expect(r.diagnostics.map((d) => [d.code, d.message, d.range.line, d.range.column])).toEqual([
      ['SSE002', "expected '}' to close the block, found end of file", 3, 1],
    ]);
  });

  it('a file that is not a spec at all', () => {
    expect(summary('hello world')).toEqual(['1:1 SSE002']); // no cascade from an imagined 'kernel'
    expect(compileSpec('hello world').diagnostics[0].message).toBe("expected 'kernel', found 'hello'");
    expect(summary('kernel { heads 4 }')).toEqual(['1:8 SSE002']);
  });
});

describe('formatDiagnostic', () => {
  const src = 'kernel k {\n  heads 4; key_dim 300; value_dim 64\n  update gla\n}\n';

  it('file:line:col, severity and code, the source line and carets under the range', () => {
    const r = compileSpec(src, 'specs/k.sse');
    expect(r.diagnostics).toHaveLength(1);
    const text = formatDiagnostic(r.diagnostics[0], src);
    expect(text.split('\n')).toEqual([
      "specs/k.sse:2:20: error SSE105: key_dim 300 is out of range: allowed 1..256 (the state K×V must fit the kernels' tiles)",
      '    heads 4; key_dim 300; value_dim 64',
      '                     ^^^',
    ]);
    // the carets sit exactly under "300"
    const [, line, carets] = text.split('\n');
    const start = carets.indexOf('^');
    expect(line.slice(start, start + 3)).toBe('300');
  });

  it('warnings, tabs in the indentation, several diagnostics joined', () => {
    const tabbed = 'kernel k {\n\theads 4; key_dim 60; value_dim 64; update gla\n\timpl mask, mask\n}';
    const r = compileSpec(tabbed, 't.sse');
    const out = formatDiagnostics(r.diagnostics, tabbed).split('\n');
    expect(out).toEqual([
      't.sse:2:19: warning SSE303: key_dim 60 is not a multiple of 16: tensor-core tiles are padded to 64, wasting work',
      '  \theads 4; key_dim 60; value_dim 64; update gla',
      '  \t                 ^^',
      "t.sse:3:13: warning SSE305: impl lists 'mask' twice; the repeat is ignored",
      '  \timpl mask, mask',
      '  \t           ^^^^',
    ]);
  });

  it('an empty range at end of line gets one caret; very long lines are windowed', () => {
    const r = compileSpec('kernel k {\n  dtype\n}', 'e.sse');
    expect(formatDiagnostic(r.diagnostics[0], 'kernel k {\n  dtype\n}').split('\n')).toEqual([
      "e.sse:2:8: error SSE002: expected a name after 'dtype', found end of line",
      '    dtype',
      '         ^',
    ]);
    const long = `kernel k { heads 4; key_dim 64; value_dim 64; update gla; ${' '.repeat(3000)}dtype fp9 }`;
    const d = compileSpec(long).diagnostics.find((x) => x.code === 'SSE106')!;
    const [, line, carets] = formatDiagnostic(d, long).split('\n');
    expect(line.length).toBeLessThan(200);
    const start = carets.indexOf('^');
    expect(line.slice(start, start + 3)).toBe('fp9');
  });
});
