/** compareTensor: relative RMS, NaN/Inf fail, all-zero reference falls back to absolute RMS. */
import { describe, expect, it } from 'vitest';
import { compareTensor } from '../../dsl/reference/index.js';

describe('compareTensor', () => {
  it('relative RMS = ‖out − ref‖ / ‖ref‖ and max abs error', () => {
    const c = compareTensor('x', [3, 4], [3, 4.5], 0.2);
    expect(c.relRms).toBeCloseTo(0.5 / 5, 15);
    expect(c.maxAbs).toBeCloseTo(0.5, 15);
    expect(c.pass).toBe(true);
    expect(compareTensor('x', [3, 4], [3, 4.5], 0.05).pass).toBe(false);
  });

  it('fails on NaN and Inf in the output, counting unwritten (NaN) elements', () => {
    const nan = compareTensor('o', [1, 2, 3], [1, NaN, 3], 1);
    expect(nan.pass).toBe(false);
    expect(nan.nonFinite).toBe(1);
    expect(nan.unwritten).toBe(1);
    const inf = compareTensor('o', [1, 2, 3], [1, Infinity, 3], 1e9);
    expect(inf.pass).toBe(false);
    expect(inf.nonFinite).toBe(1);
  });

  it('an all-zero reference is compared by absolute RMS against tol', () => {
    expect(compareTensor('z', [0, 0, 0, 0], [0, 0, 0, 0], 1e-12).pass).toBe(true);
    const c = compareTensor('z', [0, 0, 0, 0], [1e-3, -1e-3, 1e-3, -1e-3], 1e-2);
    expect(c.relRms).toBeCloseTo(1e-3, 15);
    expect(c.pass).toBe(true);
    expect(compareTensor('z', [0, 0], [1, 1], 1e-2).pass).toBe(false);
  });

  it('a length mismatch fails', () => {
    expect(compareTensor('x', [1, 2], [1], 1).pass).toBe(false);
  });
});
