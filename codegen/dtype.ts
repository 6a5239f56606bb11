/**
 * Host-side storage dtypes: bit conversions between f32 and the 16-bit formats, and rounding of
 * f64 host values to what a dtype can hold. One copy for every target and for the check harness,
 * so what the harness feeds the reference is exactly what the targets upload.
 */
import type { DType } from '../dsl/kernel-spec.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of a value (via f32; round to nearest even; overflow → ±Inf, NaN kept). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits of a value (via f32; round to nearest even; NaN → quiet NaN). */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  if (Number.isNaN(f32[0])) return 0x7fc0;
  const u = u32[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** Rounds f64 values to what the storage dtype can hold (the f32 value, then the 16-bit one). */
export function quantize(dtype: DType, x: Float64Array): Float64Array {
  switch (dtype) {
    case 'f32':
      return x.map(Math.fround);
    case 'bf16':
      return x.map((v) => bf16BitsToF32(f32ToBf16Bits(v)));
    case 'f16':
      return x.map((v) => f16BitsToF32(f32ToF16Bits(v)));
  }
}
