/** Shared helpers of the reference tests: loss, central finite differences, shape labels. */
import { expect } from 'vitest';
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import { type Comparison, compareTensor, formatComparison, referenceForward, type TensorMap } from '../../dsl/reference/index.js';
import { forwardInputs, type ProblemShape } from '../../dsl/tensors.js';

/** Scalar loss ⟨o, do⟩ + ⟨ht, dht⟩ whose gradient the backward computes. */
export function loss(spec: KernelSpec, shape: ProblemShape, inputs: TensorMap, cot: TensorMap): number {
  const f = referenceForward(spec, shape, inputs);
  let s = 0;
  for (let i = 0; i < f.o.length; i++) s += f.o[i] * cot.do[i];
  if (f.ht && cot.dht) for (let i = 0; i < f.ht.length; i++) s += f.ht[i] * cot.dht[i];
  return s;
}

/** Central finite differences of `loss` w.r.t. every element of every forward input. */
export function finiteDifferences(spec: KernelSpec, shape: ProblemShape, inputs: TensorMap, cot: TensorMap, eps = 1e-6): TensorMap {
  const out: TensorMap = {};
  for (const info of forwardInputs(spec, shape)) {
    const x = inputs[info.name];
    const fd = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + eps;
      const lp = loss(spec, shape, inputs, cot);
      x[i] = x0 - eps;
      const lm = loss(spec, shape, inputs, cot);
      x[i] = x0;
      fd[i] = (lp - lm) / (2 * eps);
    }
    out[`d${info.name}`] = fd;
  }
  return out;
}

/** Compares every tensor of `ref` with `out` by name and fails listing each comparison. */
export function expectClose(ref: TensorMap, out: TensorMap, tol: number, context = ''): Comparison[] {
  const names = Object.keys(ref);
  expect(Object.keys(out).sort(), `${context} tensor names`).toEqual(names.slice().sort());
  const cs = names.map((n) => compareTensor(n, ref[n], out[n], tol));
  const failed = cs.filter((c) => !c.pass);
  expect(failed.map(formatComparison), `${context}\n${cs.map(formatComparison).join('\n')}`).toEqual([]);
  return cs;
}

/** A test-name label encoding spec options and shapes, e.g. "gla shared+own scaleKQ per_token B2 T9 H2 K5 V3 N3 kw1 kr2 h0 ht". */
export function label(spec: KernelSpec, shape: ProblemShape): string {
  const parts: string[] = [spec.update];
  const st = spec.state;
  parts.push(`${st.shared ? 'shared' : 'noshared'}${st.partitions ? `+${st.routedInputs}` : ''}`);
  if (spec.route) {
    const r = spec.route;
    parts.push(r.scaleK && r.scaleQ ? 'scaleKQ' : r.scaleK ? 'scaleK' : r.scaleQ ? 'scaleQ' : 'unscaled', r.logits);
  }
  parts.push(shape.cuSeqlens ? `varlen[${shape.cuSeqlens.join(',')}]` : `B${shape.B}`, `T${shape.T}`, `H${spec.heads}`, `K${spec.keyDim}`, `V${spec.valueDim}`);
  if (spec.route) parts.push(`N${st.partitions}`, `kw${spec.route.write}`, `kr${spec.route.read}`);
  if (spec.initialState) parts.push('h0');
  if (spec.finalState) parts.push('ht');
  return parts.join(' ');
}

/** Copies a [S, P, H, K, V] state tensor's sequence s out as a one-sequence tensor. */
export function stateSlice(spec: KernelSpec, x: Float64Array, s: number, P: number): Float64Array {
  const per = P * spec.heads * spec.keyDim * spec.valueDim;
  return x.slice(s * per, (s + 1) * per);
}
