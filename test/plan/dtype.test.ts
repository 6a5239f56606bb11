import { describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, quantize } from '../../codegen/dtype.js';

describe('host storage dtypes', () => {
  it('f16 bits of known values, subnormals, overflow and NaN', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(70000)).toBe(0x7c00);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
    // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1)
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('bf16 bits round to nearest even and keep NaN', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16Bits(NaN)).toBe(0x7fc0);
  });

  it('quantize is idempotent and lands on representable values', () => {
    const x = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 9) - 4));
    for (const dt of ['f32', 'f16', 'bf16'] as const) {
      const q = quantize(dt, x);
      expect(quantize(dt, q)).toEqual(q);
      const rel = q.reduce((m, v, i) => Math.max(m, Math.abs(v - x[i]) / Math.max(Math.abs(x[i]), 1e-3)), 0);
      expect(rel).toBeLessThan(dt === 'f32' ? 1e-7 : dt === 'f16' ? 1e-3 : 8e-3);
    }
  });
});
