/**
 * The recurrent float64 reference: the literal semantics, token by token (fla's `naive` recurrence).
 *
 * Per sequence and head, state S ∈ R^{K×V} per partition:
 *   gla:    S ← diag(exp g) S + k vᵀ            (g ∈ R^K)
 *   decay:  S ← exp(g) S + k vᵀ                  (scalar g)
 *   linear: S ← S + k vᵀ
 *   gdn:    S ← exp(g) (I − β k kᵀ) S + β k vᵀ
 * The shared partition updates every token with q, k, g, β; routed partition i updates only when it
 * is a writer, with k replaced by a_{t,i} k (and qr/kr/gr/betar when routed inputs are 'own').
 * o_t = scale · (q_tᵀ S_shared + Σ_i b_{t,i} qr_tᵀ S_i), states taken after token t's update.
 */
import type { KernelSpec } from '../kernel-spec.js';
import { partitionCount } from '../kernel-spec.js';
import type { ProblemShape } from '../tensors.js';
import { elementCount, forwardInputs, validateShape } from '../tensors.js';
import { type Dims, dimsOf, routeOffset, sequences, stateOffset, type TensorMap, tokenIndex } from './layout.js';
import { route } from './routing.js';

/**
 * One token's state update, in place: S ← update(S; k·kw, v, g, β). `kw` scales k everywhere
 * (the routed write weight). g is read at `gOff` (K entries for gla, 1 for decay/gdn, none for linear).
 */
export function applyUpdate(
  d: Dims,
  S: Float64Array,
  k: ArrayLike<number>,
  kOff: number,
  kw: number,
  v: ArrayLike<number>,
  vOff: number,
  g: ArrayLike<number> | undefined,
  gOff: number,
  beta: number,
): void {
  const { K, V } = d;
  switch (d.rule) {
    case 'gla':
      for (let i = 0; i < K; i++) {
        const dec = Math.exp(g![gOff + i]);
        const ki = kw * k[kOff + i];
        for (let j = 0; j < V; j++) S[i * V + j] = dec * S[i * V + j] + ki * v[vOff + j];
      }
      return;
    case 'decay': {
      const dec = Math.exp(g![gOff]);
      for (let i = 0; i < K; i++) {
        const ki = kw * k[kOff + i];
        for (let j = 0; j < V; j++) S[i * V + j] = dec * S[i * V + j] + ki * v[vOff + j];
      }
      return;
    }
    case 'linear':
      for (let i = 0; i < K; i++) {
        const ki = kw * k[kOff + i];
        for (let j = 0; j < V; j++) S[i * V + j] += ki * v[vOff + j];
      }
      return;
    case 'gdn': {
      const dec = Math.exp(g![gOff]);
      // u = Sᵀ k̃ ; S ← exp(g) (S − β k̃ uᵀ) + β k̃ vᵀ
      const u = new Float64Array(V);
      for (let i = 0; i < K; i++) {
        const ki = kw * k[kOff + i];
        for (let j = 0; j < V; j++) u[j] += S[i * V + j] * ki;
      }
      for (let i = 0; i < K; i++) {
        const bki = beta * kw * k[kOff + i];
        for (let j = 0; j < V; j++) S[i * V + j] = dec * (S[i * V + j] - bki * u[j]) + bki * v[vOff + j];
      }
      return;
    }
  }
}

/** The input tensors a partition reads: the shared ones, or qr/kr/gr/betar for own routed inputs. */
export function partitionInputs(spec: KernelSpec, routed: boolean): { q: string; k: string; g: string; beta: string } {
  return routed && spec.state.routedInputs === 'own'
    ? { q: 'qr', k: 'kr', g: 'gr', beta: 'betar' }
    : { q: 'q', k: 'k', g: 'g', beta: 'beta' };
}

export function checkInputs(spec: KernelSpec, shape: ProblemShape, inputs: TensorMap): void {
  const errs = validateShape(spec, shape);
  if (errs.length) throw new Error(`reference: ${errs.join('; ')}`);
  for (const info of forwardInputs(spec, shape)) {
    const x = inputs[info.name];
    if (!x) throw new Error(`reference: missing input ${info.name} [${info.dims.join(', ')}]`);
    const n = elementCount(info);
    if (x.length !== n) throw new Error(`reference: input ${info.name} has ${x.length} elements, expected ${n} = [${info.shape.join(', ')}]`);
  }
}

/** Checks the cotangents: do is required, dht optional (absent = zero). */
export function checkCotangents(spec: KernelSpec, shape: ProblemShape, cot: TensorMap): void {
  const n = shape.B * shape.T * spec.heads * spec.valueDim;
  if (!cot.do || cot.do.length !== n) throw new Error(`reference: cotangent do must have ${n} elements, got ${cot.do?.length ?? 'none'}`);
}

/** Recurrent forward: { o [B,T,H,V], ht [S,P,H,K,V] when spec.finalState }. */
export function referenceForward(spec: KernelSpec, shape: ProblemShape, inputs: TensorMap): TensorMap {
  checkInputs(spec, shape, inputs);
  const d = dimsOf(spec);
  const { K, V, GW } = d;
  const H = spec.heads;
  const P = partitionCount(spec);
  const shared = spec.state.shared;
  const routing = spec.route ? route(spec, shape, inputs.e) : null;
  const o = new Float64Array(shape.B * shape.T * H * V);
  const seqs = sequences(shape);
  const ht = spec.finalState ? new Float64Array(seqs.length * P * H * K * V) : undefined;
  const names = Array.from({ length: P }, (_, j) => partitionInputs(spec, !(shared && j === 0)));

  for (const { seq, b, bos, eos } of seqs) {
    for (let h = 0; h < H; h++) {
      const S = Array.from({ length: P }, (_, j) =>
        spec.initialState ? inputs.h0.slice(stateOffset(spec, seq, j, h), stateOffset(spec, seq, j, h) + K * V) : new Float64Array(K * V),
      );
      for (let t = bos; t < eos; t++) {
        const ti = tokenIndex(shape, H, b, t, h);
        const ro = routing ? routeOffset(spec, shape, b, t, h) : 0;
        for (let j = 0; j < P; j++) {
          const i = shared ? j - 1 : j; // routed index, −1 for the shared partition
          let kw = 1;
          if (i >= 0) {
            if (!routing!.writers[ro + i]) continue; // not a writer: untouched, no decay
            kw = routing!.write[ro + i];
          }
          const nm = names[j];
          const beta = spec.update === 'gdn' ? inputs[nm.beta][ti] : 1;
          applyUpdate(d, S[j], inputs[nm.k], ti * K, kw, inputs.v, ti * V, GW ? inputs[nm.g] : undefined, ti * GW, beta);
        }
        for (let j = 0; j < P; j++) {
          const i = shared ? j - 1 : j;
          const rw = i >= 0 ? routing!.read[ro + i] : 1;
          if (rw === 0) continue;
          const q = inputs[names[j].q];
          const c = spec.scale * rw;
          for (let kk = 0; kk < K; kk++) {
            const qk = c * q[ti * K + kk];
            if (qk === 0) continue;
            for (let vv = 0; vv < V; vv++) o[ti * V + vv] += qk * S[j][kk * V + vv];
          }
        }
      }
      if (ht) for (let j = 0; j < P; j++) ht.set(S[j], stateOffset(spec, seq, j, h));
    }
  }
  return ht ? { o, ht } : { o };
}
