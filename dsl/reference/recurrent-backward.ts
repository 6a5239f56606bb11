/**
 * Hand-derived reverse-mode backward of the recurrence, per stream (see streams.ts), carrying dS
 * backwards token by token. For token t with state S before and S' after the update, dS' (the
 * gradient of the loss w.r.t. S') first gains the output term, then flows through the update:
 *
 *   output:  o_t = scale·S'ᵀ q_t        dq_t = scale·S' do_t;   dS' += scale·q_t do_tᵀ
 *   gla:     S' = diag(e^g) S + k vᵀ    dk = dS' v;  dv = dS'ᵀ k;  dg = e^g ⊙ rowsum(S ⊙ dS');  dS = diag(e^g) dS'
 *   decay:   as gla with scalar g:       dg = e^g ⟨S, dS'⟩;  dS = e^g dS'
 *   linear:  as gla without decay:       dS = dS'
 *   gdn:     S' = e^g (S − β k uᵀ) + β k vᵀ,  u = Sᵀ k,  w = dS'ᵀ k,  r = dS' u
 *            dv = β w;  dβ = ⟨w, v − e^g u⟩;  dg = e^g (⟨S, dS'⟩ − β ⟨k, r⟩)
 *            dk = β dS' v − e^g β (r + S w);  dS = e^g (dS' − β k wᵀ)
 * dh0 is the dS left after the first token. States are recomputed from checkpoints every 32 tokens.
 */
import type { KernelSpec } from '../kernel-spec.js';
import type { ProblemShape } from '../tensors.js';
import { type Dims, stateOffset, type TensorMap, tokenIndex } from './layout.js';
import { applyUpdate, checkCotangents, checkInputs } from './recurrent.js';
import { route } from './routing.js';
import { finishGrads, makeCtx, maskStreams, newGradAcc, scatterBackward, type Stream, type StreamGrads } from './streams.js';

const CHECKPOINT = 32;

function stepStream(d: Dims, st: Stream, S: Float64Array, j: number): void {
  applyUpdate(d, S, st.k, j * d.K, 1, st.v, j * d.V, d.GW ? st.g : undefined, j * d.GW, st.beta[j]);
}

/** Token-by-token forward of one stream: outputs [L, V] (scale applied) and the final state. */
export function streamRecurrentForward(d: Dims, st: Stream): { o: Float64Array; ht: Float64Array } {
  const { K, V } = d;
  const L = st.tokens.length;
  const S = st.h0.slice();
  const o = new Float64Array(L * V);
  for (let j = 0; j < L; j++) {
    stepStream(d, st, S, j);
    for (let x = 0; x < K; x++) {
      const qx = d.scale * st.q[j * K + x];
      if (qx !== 0) for (let y = 0; y < V; y++) o[j * V + y] += qx * S[x * V + y];
    }
  }
  return { o, ht: S };
}

/** Reverse-mode backward of one stream, given dO [L, V] and the final-state cotangent (or null). */
export function streamRecurrentBackward(d: Dims, st: Stream, dO: Float64Array, dhT: Float64Array | null): StreamGrads {
  const { K, V, GW } = d;
  const L = st.tokens.length;
  const sg: StreamGrads = {
    dq: new Float64Array(L * K),
    dk: new Float64Array(L * K),
    dv: new Float64Array(L * V),
    dg: new Float64Array(L * GW),
    dbeta: new Float64Array(L),
    dh0: new Float64Array(K * V),
  };
  // Checkpoints: state before token m·CHECKPOINT.
  const nBlocks = Math.ceil(L / CHECKPOINT);
  const cps: Float64Array[] = [];
  const S = st.h0.slice();
  for (let j = 0; j < L; j++) {
    if (j % CHECKPOINT === 0) cps.push(S.slice());
    stepStream(d, st, S, j);
  }
  const dS = dhT ? dhT.slice() : new Float64Array(K * V);
  const u = new Float64Array(V);
  const w = new Float64Array(V);
  const r = new Float64Array(K);
  for (let m = nBlocks - 1; m >= 0; m--) {
    const j0 = m * CHECKPOINT;
    const j1 = Math.min(L, j0 + CHECKPOINT);
    const states = [cps[m].slice()]; // states[i] = state before token j0 + i
    for (let j = j0; j < j1; j++) {
      const next = states[states.length - 1].slice();
      stepStream(d, st, next, j);
      states.push(next);
    }
    for (let j = j1 - 1; j >= j0; j--) {
      const Sb = states[j - j0];
      const Sa = states[j - j0 + 1];
      // output term
      for (let x = 0; x < K; x++) {
        let acc = 0;
        for (let y = 0; y < V; y++) acc += Sa[x * V + y] * dO[j * V + y];
        sg.dq[j * K + x] = d.scale * acc;
        const qx = d.scale * st.q[j * K + x];
        if (qx !== 0) for (let y = 0; y < V; y++) dS[x * V + y] += qx * dO[j * V + y];
      }
      const kj = j * K;
      const vj = j * V;
      switch (d.rule) {
        case 'gla':
        case 'decay':
        case 'linear': {
          let dgs = 0;
          for (let x = 0; x < K; x++) {
            let dk = 0;
            let dgx = 0;
            for (let y = 0; y < V; y++) {
              dk += dS[x * V + y] * st.v[vj + y];
              sg.dv[vj + y] += dS[x * V + y] * st.k[kj + x];
              dgx += Sb[x * V + y] * dS[x * V + y];
            }
            sg.dk[kj + x] = dk;
            const dec = d.rule === 'gla' ? Math.exp(st.g[j * K + x]) : d.rule === 'decay' ? Math.exp(st.g[j]) : 1;
            if (d.rule === 'gla') sg.dg[j * K + x] = dec * dgx;
            else dgs += dec * dgx;
            if (dec !== 1) for (let y = 0; y < V; y++) dS[x * V + y] *= dec;
          }
          if (d.rule === 'decay') sg.dg[j] = dgs;
          break;
        }
        case 'gdn': {
          const dec = Math.exp(st.g[j]);
          const beta = st.beta[j];
          u.fill(0);
          w.fill(0);
          let sdot = 0;
          for (let x = 0; x < K; x++) {
            const kx = st.k[kj + x];
            for (let y = 0; y < V; y++) {
              u[y] += Sb[x * V + y] * kx;
              w[y] += dS[x * V + y] * kx;
              sdot += Sb[x * V + y] * dS[x * V + y];
            }
          }
          let kr = 0;
          for (let x = 0; x < K; x++) {
            let rx = 0;
            for (let y = 0; y < V; y++) rx += dS[x * V + y] * u[y];
            r[x] = rx;
            kr += st.k[kj + x] * rx;
          }
          let db = 0;
          for (let y = 0; y < V; y++) {
            sg.dv[vj + y] = beta * w[y];
            db += w[y] * (st.v[vj + y] - dec * u[y]);
          }
          sg.dbeta[j] = db;
          sg.dg[j] = dec * (sdot - beta * kr);
          for (let x = 0; x < K; x++) {
            let dSv = 0;
            let Sw = 0;
            for (let y = 0; y < V; y++) {
              dSv += dS[x * V + y] * st.v[vj + y];
              Sw += Sb[x * V + y] * w[y];
            }
            sg.dk[kj + x] = beta * dSv - dec * beta * (r[x] + Sw);
          }
          for (let x = 0; x < K; x++) {
            const bk = beta * st.k[kj + x];
            for (let y = 0; y < V; y++) dS[x * V + y] = dec * (dS[x * V + y] - bk * w[y]);
          }
          break;
        }
      }
    }
  }
  sg.dh0.set(dS);
  return sg;
}

/** Stream outputs' cotangent dO [L, V] gathered from do, and the final-state cotangent (or null). */
export function gatherCotangents(spec: KernelSpec, shape: ProblemShape, st: Stream, cot: TensorMap): { dO: Float64Array; dhT: Float64Array | null } {
  const V = spec.valueDim;
  const L = st.tokens.length;
  const dO = new Float64Array(L * V);
  for (let j = 0; j < L; j++) {
    const ti = tokenIndex(shape, spec.heads, st.b, st.tokens[j], st.h);
    for (let y = 0; y < V; y++) dO[j * V + y] = cot.do[ti * V + y];
  }
  let dhT: Float64Array | null = null;
  if (spec.finalState && cot.dht) {
    const off = stateOffset(spec, st.seq, st.partition, st.h);
    dhT = cot.dht.slice(off, off + spec.keyDim * V);
  }
  return { dO, dhT };
}

/** Recurrent backward: gradients d<name> of every forward input (dsl/tensors.ts gradients()). */
export function referenceBackward(spec: KernelSpec, shape: ProblemShape, inputs: TensorMap, cot: TensorMap): TensorMap {
  checkInputs(spec, shape, inputs);
  checkCotangents(spec, shape, cot);
  const c = makeCtx(spec, shape, inputs, spec.route ? route(spec, shape, inputs.e) : null);
  const acc = newGradAcc(c);
  for (const st of maskStreams(c)) {
    const { dO, dhT } = gatherCotangents(spec, shape, st, cot);
    scatterBackward(c, st, streamRecurrentBackward(c.d, st, dO, dhT), acc);
  }
  return finishGrads(c, acc);
}
