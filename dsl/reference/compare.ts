/**
 * Named, ratio-based comparison (fla's assert_close): relative RMS error of `out` against `ref`.
 * relRms = ‖out − ref‖₂ / max(‖ref‖₂, tiny); when ref is all zero, the absolute RMS is used instead.
 * Any NaN/Inf in out fails. `unwritten` counts NaN outputs where ref is finite (targets poison their
 * outputs with NaN before running, so unwritten elements show up here).
 */
export interface Comparison {
  name: string;
  relRms: number;
  maxAbs: number;
  nonFinite: number;
  unwritten?: number;
  pass: boolean;
  tol: number;
}

const TINY = 1e-300;

export function compareTensor(name: string, ref: ArrayLike<number>, out: ArrayLike<number>, tol: number): Comparison {
  if (ref.length !== out.length) {
    return { name, relRms: Infinity, maxAbs: Infinity, nonFinite: 0, pass: false, tol };
  }
  let diff2 = 0;
  let ref2 = 0;
  let maxAbs = 0;
  let nonFinite = 0;
  let unwritten = 0;
  for (let i = 0; i < ref.length; i++) {
    const o = out[i];
    const r = ref[i];
    if (!Number.isFinite(o)) {
      nonFinite++;
      if (Number.isNaN(o) && Number.isFinite(r)) unwritten++;
      continue;
    }
    const dlt = o - r;
    diff2 += dlt * dlt;
    ref2 += r * r;
    maxAbs = Math.max(maxAbs, Math.abs(dlt));
  }
  const n = Math.max(ref.length, 1);
  const relRms = ref2 > 0 ? Math.sqrt(diff2) / Math.max(Math.sqrt(ref2), TINY) : Math.sqrt(diff2 / n);
  const result: Comparison = {
    name,
    relRms: nonFinite ? NaN : relRms,
    maxAbs: nonFinite ? NaN : maxAbs,
    nonFinite,
    pass: nonFinite === 0 && relRms <= tol,
    tol,
  };
  if (unwritten) result.unwritten = unwritten;
  return result;
}

/** One line per comparison, for test and harness messages. */
export function formatComparison(c: Comparison): string {
  const extra = c.nonFinite ? ` nonFinite=${c.nonFinite}${c.unwritten ? ` unwritten=${c.unwritten}` : ''}` : '';
  return `${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: relRms=${c.relRms.toExponential(3)} (tol ${c.tol.toExponential(1)}) maxAbs=${c.maxAbs.toExponential(3)}${extra}`;
}

/** Compares every tensor named in `ref` that `out` also has (and fails the ones `out` lacks). */
export function compareAll(ref: Record<string, ArrayLike<number>>, out: Record<string, ArrayLike<number>>, tol: number): Comparison[] {
  return Object.keys(ref).map((name) =>
    out[name] ? compareTensor(name, ref[name], out[name], tol) : { name, relRms: Infinity, maxAbs: Infinity, nonFinite: 0, pass: false, tol },
  );
}
