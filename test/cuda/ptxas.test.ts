/**
 * Reading ptxas's resource report (`ssec explain --target cuda`): a kernel that spills is a row with its spill bytes,
 * not a failed build — ptxas reports each spill as an error line there (-warn-spills under -Werror), while the
 * driver and the PyTorch binding build the same source without -warn-spills and succeed.
 */
import { describe, expect, it } from 'vitest';
import { formatPtxas, onlySpillErrors, parsePtxas } from '../../targets/cuda/compile.js';

const fn = (k: string) => `ssec_x_mask_${k}`;
const report = (spill: boolean, extra = '') =>
  [
    `ptxas info    : Compiling entry function '${fn('fwd_o')}' for 'sm_90'`,
    `ptxas info    : Function properties for ${fn('fwd_o')}`,
    spill ? '    40 bytes stack frame, 36 bytes spill stores, 36 bytes spill loads' : '    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads',
    ...(spill ? [`ptxas error   : Registers are spilled to local memory in function '${fn('fwd_o')}', 36 bytes spill stores, 36 bytes spill loads`] : []),
    'ptxas info    : Used 168 registers, used 1 barriers, 40 bytes cumulative stack size',
    `ptxas info    : Compiling entry function '${fn('fwd_h')}' for 'sm_90'`,
    `ptxas info    : Function properties for ${fn('fwd_h')}`,
    '    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads',
    'ptxas info    : Used 140 registers, used 1 barriers',
    extra,
  ].join('\n');

describe('ptxas report', () => {
  it('a spill is the kernel row’s spill bytes, not a diagnostic, and alone does not fail the build', () => {
    const r = parsePtxas(report(true), 'sm_90');
    expect(r.diagnostics).toEqual([]);
    expect(r.kernels.map((k) => [k.kernel, k.registers, k.stackFrame, k.spillStores, k.spillLoads])).toEqual([
      [fn('fwd_o'), 168, 40, 36, 36],
      [fn('fwd_h'), 140, 0, 0, 0],
    ]);
    expect(onlySpillErrors(report(true))).toBe(true);
    const table = formatPtxas({ ok: true, arch: 'sm_90', kernels: r.kernels, diagnostics: [], command: '' }, 'ssec_x_');
    expect(table.split('\n')[0]).toBe('sm_90: compiled, with spills');
    expect(table).toMatch(/mask_fwd_o\s+168\s+0\s+40\s+36\/36/);
  });
  it('any other error is a failure and a diagnostic', () => {
    const other = report(true, "ptxas error   : Entry function 'x' uses too much shared data");
    expect(onlySpillErrors(other)).toBe(false);
    expect(parsePtxas(other, 'sm_90').diagnostics).toEqual(["ptxas error   : Entry function 'x' uses too much shared data"]);
    expect(onlySpillErrors(report(false))).toBe(false);  // no error at all: nothing to excuse
    expect(parsePtxas(report(false), 'sm_90').kernels.every((k) => k.spillStores === 0)).toBe(true);
  });
  it('an injected warpgroup wait (C7517) and a serialised wgmma (C7514) are diagnostics', () => {
    const c7517 = `ptxas info    : (C7517) warpgroup.wait is injected in around line 15898 by compiler to allow use of registers defined by GMMA in function '${fn('fwd_ho')}'`;
    const c7514 = `ptxas info    : (C7514) Potential Performance Loss: wgmma.mma_async instructions are serialized due to the presence of Extern calls in the function '${fn('fwd_ho')}'`;
    expect(parsePtxas(report(false, c7517), 'sm_90a').diagnostics).toEqual([c7517]);
    expect(parsePtxas(report(false, c7514), 'sm_90a').diagnostics).toEqual([c7514]);
  });
});
