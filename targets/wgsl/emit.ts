/**
 * Typed WGSL emitters (in the manner of ONNX Runtime's ShaderHelper / inputVariable): the uniform
 * struct, the bindings and every index helper come from TypeScript objects, so templates only ask
 * for `ld_q(tok, h, c)`, `seg_info(seg, 1u)` or `stream_of(seg, z)` and never build index strings.
 *
 * Index conventions (shared with host.ts):
 *   token tok = b·T + t; token tensors [B,T,H,D] in BTHD (row = tok·H + h) or BHTD
 *   (row = (b·H + h)·T + t), element = row·D + d; router tensors [B,T,R,N] internally (tok·R + r)·N + i;
 *   states [S,P,H,K,V]; per-stream scratch rows: mask (p·B·T + tok)·H + h, varlen slot·HS + z.
 */
import type { KernelDef, KernelParams, PhysBuffer, UniformField } from './program.js';

const TOKEN_TENSORS: Record<string, 'K' | 'V' | 'G'> = {
  q: 'K',
  k: 'K',
  qr: 'K',
  kr: 'K',
  v: 'V',
  o: 'V',
  do: 'V',
  g: 'G',
  gr: 'G',
  dq: 'K',
  dk: 'K',
  dqr: 'K',
  dkr: 'K',
  dv: 'V',
  dg: 'G',
  dgr: 'G',
};

export interface EmitContext {
  kernel: KernelDef;
  buffers: PhysBuffer[];
  uniforms: UniformField[];
}

/** `1.5` → `1.5`, `2` → `2.0`: WGSL f32 literal that round-trips the f64 value through f32. */
export function f32Literal(x: number): string {
  const f = Math.fround(x);
  const s = f.toPrecision(9);
  return /[.e]/.test(s) ? s.replace(/e\+?/, 'e') : `${s}.0`;
}

function elemType(b: PhysBuffer, p: KernelParams): string {
  if (b.elem === 'u32') return 'u32';
  if (b.elem === 'io') return p.io;
  return 'f32';
}

/** `struct Params` (all u32) and its uniform binding 0. */
export function emitParams(fields: UniformField[]): string {
  const lines = ['struct Params {'];
  for (const f of fields) lines.push(`  ${f.name}: u32, // ${f.doc}`);
  const pad = (4 - (fields.length % 4)) % 4;
  for (let i = 0; i < pad; i++) lines.push(`  _pad${i}: u32,`);
  lines.push('}', '@group(0) @binding(0) var<uniform> P: Params;');
  return lines.join('\n');
}

/** Byte size of the uniform buffer for a field list (u32 fields, 16-byte rounded). */
export function paramsBytes(fields: UniformField[]): number {
  return Math.ceil(fields.length / 4) * 16;
}

export function emitConsts(p: KernelParams): string {
  const u = (name: string, v: number, doc: string) => `const ${name}: u32 = ${v}u; // ${doc}`;
  const b = (name: string, v: boolean, doc: string) => `const ${name}: bool = ${v}; // ${doc}`;
  return [
    u('H', p.H, 'heads'),
    u('K', p.K, 'key dim'),
    u('V', p.V, 'value dim'),
    u('N', p.N, 'routed partitions'),
    u('NP', p.P, 'state partitions (shared + routed)'),
    u('R', p.R, 'router rows per token (1 per_token, H per_head)'),
    u('HS', p.HS, 'heads per varlen segment'),
    u('Z', p.Z, 'stream heads per chunk row'),
    u('ZD', p.ZD, 'heads of the do·vᵀ matrix'),
    u('Z_OFF', p.Z_OFF, 'first stream head of this kernel'),
    u('BT', p.BT, 'chunk length'),
    u('BK', p.BK, 'state tile rows (K)'),
    u('BV', p.BV, 'state / output tile columns (V)'),
    u('KS', p.KS, 'K slice of the chunk kernels'),
    u('VS', p.VS, 'V slice of the chunk kernels'),
    u('SB', p.SB, 'slot sub-block'),
    u('KQ', p.KQ, 'K tile of dq/dk'),
    u('NKQ', p.NKQ, 'number of KQ tiles'),
    u('GW', p.gate === 'vec' ? p.K : 1, 'gate width per token (K gla, 1 scalar)'),
    u('WG', p.WG, 'invocations per workgroup'),
    u('KW', p.KW, 'writers per token'),
    u('KR', p.KR, 'readers per token'),
    u('SHARED', p.SHARED, 'shared partition on'),
    b('OWN', p.OWN === 1, 'routed partitions read qr/kr/gr'),
    b('PER_HEAD', p.PER_HEAD === 1, 'per_head router logits'),
    b('SCALE_K', p.SCALE_K === 1, 'write weight = probability'),
    b('SCALE_Q', p.SCALE_Q === 1, 'read weight = probability'),
    b('HAS_H0', p.HAS_H0 === 1, 'initial state input'),
    b('HAS_HT', p.HAS_HT === 1, 'final state output'),
    b('IS_MASK', p.impl === 'mask', 'mask impl (else varlen)'),
    u('SOURCE', p.source === 'all' ? 0 : p.source === 'shared' ? 1 : 2, 'streams of this kernel: 0 all, 1 shared only, 2 routed only'),
    `const SCALE: f32 = ${f32Literal(p.SCALE)}; // q·S multiplier`,
    `const NONE: u32 = 0xffffffffu;`,
  ].join('\n');
}

export function emitBindings(ctx: EmitContext): string {
  const p = ctx.kernel.params;
  return ctx.kernel.bindings
    .map((bd) => {
      const b = ctx.buffers.find((x) => x.name === bd.buffer)!;
      if (bd.vec4 && (b.elem !== 'f32' || b.views?.length)) throw new Error(`buffer ${b.name}: a vec4 binding needs an f32 buffer without views`);
      const elem = bd.vec4 ? 'vec4<f32>' : elemType(b, p);
      return `@group(0) @binding(${bd.binding}) var<storage, ${bd.access}> ${wgslName(bd.buffer)}: array<${elem}>;`;
    })
    .join('\n');
}

/** WGSL identifiers for buffers whose names are reserved words. */
export function wgslName(buffer: string): string {
  return buffer === 'do' ? 'dout' : buffer;
}

/** Index and accessor helpers for the buffers a kernel binds (only those, so every identifier resolves). */
export function emitHelpers(ctx: EmitContext): string {
  const p = ctx.kernel.params;
  const bound = new Map(ctx.kernel.bindings.map((b) => [b.buffer, b]));
  const out: string[] = [];
  out.push(`// Row of token tok (= b·T + t), head h in a [B,T,H,·] tensor (${p.layout}).`);
  if (p.layout === 'BTHD') out.push('fn tok_row(tok: u32, h: u32) -> u32 { return tok * H + h; }');
  else out.push('fn tok_row(tok: u32, h: u32) -> u32 { let b = tok / P.T; return (b * H + h) * P.T + (tok - b * P.T); }');
  const cvt = (x: string) => (p.io === 'f32' ? x : `f32(${x})`);
  const wr = (x: string) => (p.io === 'f32' ? x : `${p.io}(${x})`);
  for (const [name, bd] of bound) {
    const w = TOKEN_TENSORS[name];
    const id = wgslName(name);
    if (w) {
      if (w === 'G' && p.gate === 'scalar') {
        out.push(`fn ld_${id}(tok: u32, h: u32, c: u32) -> f32 { return ${cvt(`${id}[tok_row(tok, h)]`)}; }`);
        if (bd.access === 'read_write') out.push(`fn st_${id}(tok: u32, h: u32, c: u32, x: f32) { ${id}[tok_row(tok, h)] = ${wr('x')}; }`);
      } else {
        const D = w === 'V' ? 'V' : 'K';
        out.push(`fn ld_${id}(tok: u32, h: u32, c: u32) -> f32 { return ${cvt(`${id}[tok_row(tok, h) * ${D} + c]`)}; }`);
        if (bd.access === 'read_write') out.push(`fn st_${id}(tok: u32, h: u32, c: u32, x: f32) { ${id}[tok_row(tok, h) * ${D} + c] = ${wr('x')}; }`);
      }
    }
    if (name === 'e' || name === 'de') {
      const row = p.PER_HEAD ? 'tok_row(tok, r)' : 'tok';
      if (name === 'e') out.push(`fn ld_e(tok: u32, r: u32, i: u32) -> f32 { return ${cvt(`e[${row} * N + i]`)}; }`);
      else out.push(`fn st_de(tok: u32, r: u32, i: u32, x: f32) { de[${row} * N + i] = ${wr('x')}; }`);
    }
  }
  // Stream-selected inputs: a routed stream reads qr/kr/gr when routed inputs are 'own'.
  for (const [base, routedName] of [
    ['q', 'qr'],
    ['k', 'kr'],
    ['g', 'gr'],
  ]) {
    const hasB = bound.has(base);
    const hasR = bound.has(routedName);
    if (!hasB && !hasR) continue;
    let body: string;
    if (hasB && hasR) body = `if (routed) { return ld_${routedName}(tok, h, c); } return ld_${base}(tok, h, c);`;
    else body = `return ld_${hasB ? base : routedName}(tok, h, c);`;
    out.push(`fn ld_${base}s(routed: bool, tok: u32, h: u32, c: u32) -> f32 { ${body} }`);
  }
  out.push('// Linear index of a workgroup in a (possibly folded) 1-D grid.');
  out.push('fn wg_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }');
  if (bound.has('tables')) out.push(emitMetaHelpers(ctx));
  return out.join('\n');
}

function emitMetaHelpers(ctx: EmitContext): string {
  const meta = ctx.buffers.find((b) => b.name === 'tables')!;
  const rw = ctx.kernel.bindings.find((b) => b.buffer === 'tables')!.access === 'read_write';
  const views = new Set((meta.views ?? []).map((v) => v.name));
  const out: string[] = [];
  if (views.has('rw')) {
    out.push('// Routing tables [B·T, R, N] (floats stored as bits in the u32 meta buffer).');
    out.push('fn route_off(tok: u32, r: u32, i: u32) -> u32 { return (tok * R + r) * N + i; }');
    for (const [fn, field] of [
      ['rt_w', 'o_rw'],
      ['rt_r', 'o_rr'],
      ['rt_p', 'o_rp'],
    ]) {
      out.push(`fn ${fn}(ro: u32) -> f32 { return bitcast<f32>(tables[P.${field} + ro]); }`);
      if (rw) out.push(`fn ${fn}_set(ro: u32, x: f32) { tables[P.${field} + ro] = bitcast<u32>(x); }`);
    }
    out.push('fn rt_sel(ro: u32) -> u32 { return tables[P.o_rsel + ro]; }');
    if (rw) out.push('fn rt_sel_set(ro: u32, x: u32) { tables[P.o_rsel + ro] = x; }');
  }
  out.push('// seg_info [nseg, 4]: first slot, length, first chunk, key; chunk_info [chunk_cap, 4]: segment, first slot, length, index in segment.');
  out.push('fn seg_info(seg: u32, f: u32) -> u32 { return tables[P.o_seg_info + seg * 4u + f]; }');
  out.push('fn chunk_info(row: u32, f: u32) -> u32 { return tables[P.o_chunk_info + row * 4u + f]; }');
  out.push('fn chunk_count() -> u32 { return tables[P.o_chunk_count]; }');
  if (rw) {
    out.push('fn seg_info_set(seg: u32, f: u32, x: u32) { tables[P.o_seg_info + seg * 4u + f] = x; }');
    out.push('fn chunk_info_set(row: u32, f: u32, x: u32) { tables[P.o_chunk_info + row * 4u + f] = x; }');
    out.push('fn chunk_count_set(x: u32) { tables[P.o_chunk_count] = x; }');
  }
  if (views.has('tok_slot')) {
    out.push('fn seg_token(slot: u32) -> u32 { return tables[P.o_seg_tokens + slot]; }');
    out.push('fn tok_slot(ro: u32) -> u32 { return tables[P.o_tok_slot + ro]; }');
    out.push('fn seg_count(j: u32) -> u32 { return tables[P.o_seg_count + j]; }');
    if (rw) {
      out.push('fn seg_token_set(slot: u32, x: u32) { tables[P.o_seg_tokens + slot] = x; }');
      out.push('fn tok_slot_set(ro: u32, x: u32) { tables[P.o_tok_slot + ro] = x; }');
      out.push('fn seg_count_set(j: u32, x: u32) { tables[P.o_seg_count + j] = x; }');
    }
  }
  out.push(emitStream(ctx));
  return out.join('\n');
}

/** The stream (virtual head / segment head) a workgroup works on, and slot → token. */
function emitStream(ctx: EmitContext): string {
  const p = ctx.kernel.params;
  const routed = p.N > 0;
  const lines = [
    '// One stream: a partition of one (sequence, head); routing is folded into its q̃, k̃, g̃ on load.',
    'struct Stream { seq: u32, r: u32, head: u32, routed: bool, ri: u32, part: u32, z: u32 }',
  ];
  if (p.impl === 'mask') {
    lines.push(
      '// mask: segment = sequence; z = p·H + h (virtual head p: shared first, then routed).',
      'fn stream_of(seg: u32, key: u32, z: u32) -> Stream {',
      '  let pp = z / H;',
      '  let h = z % H;',
      `  let r = ${p.PER_HEAD ? 'h' : '0u'};`,
      `  return Stream(seg, r, h, ${routed ? 'pp >= SHARED' : 'false'}, pp - min(pp, SHARED), pp, z);`,
      '}',
      'fn slot_token(st: Stream, slot: u32) -> u32 { return slot; }',
    );
  } else {
    lines.push(
      '// varlen: key = (s·R + r)·(N + 1) + p′, p′ = 0 shared, 1 + i routed; z = head within the segment.',
      'fn stream_of(seg: u32, key: u32, z: u32) -> Stream {',
      '  let sr = key / (N + 1u);',
      '  let pp = key % (N + 1u);',
      '  let r = sr % R;',
      `  let h = ${p.PER_HEAD ? 'r' : 'z'};`,
      '  let ri = pp - min(pp, 1u);',
      '  let part = select(0u, SHARED + ri, pp > 0u);',
      '  return Stream(sr / R, r, h, pp > 0u, ri, part, z);',
      '}',
    );
    if (routed) lines.push('fn slot_token(st: Stream, slot: u32) -> u32 { if (st.routed) { return seg_token(slot); } return slot - st.r * P.ntok; }');
    else lines.push('fn slot_token(st: Stream, slot: u32) -> u32 { return slot - st.r * P.ntok; }');
  }
  lines.push('// Whether this kernel (split by input source) handles the stream.', 'fn source_ok(st: Stream) -> bool { return SOURCE == 0u || (SOURCE == 2u) == st.routed; }');
  lines.push('// Offset of the [K, V] state of a stream in [S, P, H, K, V].', 'fn state_off(st: Stream) -> u32 { return ((st.seq * NP + st.part) * H + st.head) * K * V; }');
  // Routing weights of a slot: (a write, b read, writer flag); 1 for the shared partition.
  if (routed) {
    lines.push(
      'fn slot_weights(st: Stream, tok: u32) -> vec3<f32> {',
      '  if (!st.routed) { return vec3<f32>(1.0); }',
      '  let ro = route_off(tok, st.r, st.ri);',
      '  return vec3<f32>(rt_w(ro), rt_r(ro), f32(rt_sel(ro) & 1u));',
      '}',
      'fn stream_w(p: u32, tok: u32, h: u32) -> vec3<f32> {',
      '  if (p < SHARED) { return vec3<f32>(1.0); }',
      `  let ro = route_off(tok, ${p.PER_HEAD ? 'h' : '0u'}, p - SHARED);`,
      '  return vec3<f32>(rt_w(ro), rt_r(ro), f32(rt_sel(ro) & 1u));',
      '}',
    );
  } else {
    lines.push('fn slot_weights(st: Stream, tok: u32) -> vec3<f32> { return vec3<f32>(1.0); }');
    lines.push('fn stream_w(p: u32, tok: u32, h: u32) -> vec3<f32> { return vec3<f32>(1.0); }');
  }
  lines.push('// Row of stream p (0 ≤ p < NP) of token tok, head h in the per-stream scratch; NONE without a slot.');
  if (p.impl === 'mask') {
    lines.push('fn stream_row(p: u32, tok: u32, h: u32) -> u32 { return (p * P.ntok + tok) * H + h; }');
  } else {
    const r = p.PER_HEAD ? 'h' : '0u';
    const zc = p.PER_HEAD ? '0u' : 'h';
    lines.push('fn stream_row(p: u32, tok: u32, h: u32) -> u32 {');
    lines.push(`  if (p < SHARED) { return (${r} * P.ntok + tok) * HS + ${zc}; }`);
    if (routed) {
      lines.push(`  let slot = tok_slot(route_off(tok, ${r}, p - SHARED));`);
      lines.push('  if (slot == NONE) { return NONE; }');
      lines.push(`  return slot * HS + ${zc};`);
    } else lines.push('  return NONE;');
    lines.push('}');
    lines.push(routed ? 'fn routed_len(j: u32) -> u32 { return seg_count(j); }' : 'fn routed_len(j: u32) -> u32 { return 0u; }');
  }
  return lines.join('\n');
}

/** The full prelude of a kernel: enables, constants, uniform struct, bindings and helpers. */
export function emitPrelude(ctx: EmitContext): string {
  const p = ctx.kernel.params;
  const head = [
    `// ssec WGSL kernel ${ctx.kernel.id}: stage ${ctx.kernel.stage} of impl ${p.impl} (plan stage ${ctx.kernel.planStage}).`,
    '// Generated file: do not edit.',
  ];
  if (p.io === 'f16') head.push('enable f16;');
  return [head.join('\n'), emitConsts(p), emitParams(ctx.uniforms), emitBindings(ctx), emitHelpers(ctx)].join('\n\n');
}

/** Templates built on the chunk skeleton (partials/chunk_common): they get the slot loaders. */
export const CHUNK_TEMPLATES = new Set(['state_pass', 'fwd_attn', 'fwd_o', 'bwd_dov', 'bwd_dv', 'bwd_hdo', 'bwd_dqk', 'bwd_dg']);

/**
 * Slot loaders of the chunk kernels (only for bound inputs): q̃ = b·q, k̃ = a·k, g̃ = [writer]·g, v, do,
 * zero past the chunk end or beyond K / V; the per-stream scratch row of a slot; the state
 * pass's initial / final state hooks.
 */
export function emitLoaders(ctx: EmitContext): string {
  const p = ctx.kernel.params;
  const bound = new Set(ctx.kernel.bindings.map((b) => b.buffer));
  const has = (...xs: string[]) => xs.some((x) => bound.has(x));
  const out: string[] = ['// ---- slot loaders (routing folded in) ----'];
  if (has('q', 'qr')) out.push('fn qt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_b[j] * ld_qs(st.routed, m_tok[j], st.head, c); }');
  if (has('k', 'kr')) out.push('fn kt(st: Stream, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return m_a[j] * ld_ks(st.routed, m_tok[j], st.head, c); }');
  if (has('g', 'gr')) {
    const guard = p.gate === 'vec' ? 'if (c >= K) { return 0.0; } ' : '';
    out.push(`fn gt(st: Stream, j: u32, c: u32) -> f32 { ${guard}return m_w[j] * ld_gs(st.routed, m_tok[j], st.head, c); }`);
  }
  if (has('v')) out.push('fn vt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_v(m_tok[j], st.head, c); }');
  if (has('do')) out.push('fn dt(st: Stream, j: u32, c: u32, L: u32) -> f32 { if (j >= L || c >= V) { return 0.0; } return ld_dout(m_tok[j], st.head, c); }');
  // decayed operands and chunk decays of (chunk row, stream head), saved by fwd_attn
  for (const hat of ['qhat', 'khat']) {
    if (has(hat)) out.push(`fn ${hat}_at(row: u32, z: u32, j: u32, c: u32) -> f32 { if (c >= K) { return 0.0; } return ${hat}[((row * Z + z) * BT + j) * K + c]; }`);
  }
  if (has('gdec')) out.push('fn gdec_at(row: u32, z: u32, c: u32) -> f32 { if (c >= K) { return 1.0; } return gdec[(row * Z + z) * K + c]; }');
  out.push('// Row of slot j of the chunk in the per-stream scratch (dq/dk/dv/dg parts).');
  if (p.impl === 'mask') {
    out.push('fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (st.part * P.ntok + m_tok[j]) * H + st.head; }');
    out.push('fn dov_head(st: Stream) -> u32 { return st.head; }');
  } else {
    out.push('fn part_row(st: Stream, slot0: u32, j: u32) -> u32 { return (slot0 + j) * HS + st.z; }');
    out.push('fn dov_head(st: Stream) -> u32 { return st.z; }');
  }
  if (ctx.kernel.template === 'state_pass') {
    const fwd = ctx.kernel.stage === 'fwd_h';
    const init = fwd ? 'h0' : 'dht';
    const fin = fwd ? 'ht' : 'dh0';
    out.push(
      bound.has(init)
        ? `fn sp_initial(st: Stream, kk: u32, vv: u32) -> f32 { return ${init}[state_off(st) + kk * V + vv]; }`
        : 'fn sp_initial(st: Stream, kk: u32, vv: u32) -> f32 { return 0.0; }',
    );
    out.push(
      bound.has(fin)
        ? `fn sp_final(st: Stream, kk: u32, vv: u32, x: f32) { ${fin}[state_off(st) + kk * V + vv] = x; }`
        : 'fn sp_final(st: Stream, kk: u32, vv: u32, x: f32) {}',
    );
  }
  return out.join('\n');
}
