/**
 * Mutation test: thousands of corrupted variants of every example (seeded, deterministic).
 * compileSpec must never throw, must answer fast, must return a spec iff there is no error, and
 * every diagnostic must have a well-formed range inside the text.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZES, CUDA_ARCHS, type CompileResult, type KernelSpec, compileSpec, formatDiagnostics, specHash } from '../../dsl/index.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');
const SKETCH = readFileSync(join(import.meta.dirname, 'golden/sketch.sse'), 'utf8');
const VARIANTS_PER_SOURCE = 600;
const MAX_CALL_MS = 1000;

/** mulberry32: small seeded PRNG, so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  'kernel', 'heads', 'key_dim', 'value_dim', 'layout', 'dtype', 'update', 'state', 'route', 'scale', 'chunk',
  'impl', 'passes', 'initial_state', 'final_state', 'targets', 'shared', 'partitions', 'routed_inputs', 'logits',
  'write', 'read', 'scale_k', 'scale_q', 'top', 'by', 'sqrt', 'auto', 'on', 'off', 'gla', 'gdn', 'bf16', 'cuda',
  'wgsl', 'sm_90', 'sm_75', 'prob', 'none', 'per_head', '{', '}', '(', ')', ',', ';', '/', '-', '\n', '#', '//',
  '0', '1', '4', '16', '64', '128', '256', '1e400', '99999999999999999999', '1e-400', '-0', '0.5', '.5', '1e', '0x10',
  'NaN', 'Infinity', 'int', '__x', 'é', '∞', '\u0000', '\ud800', '😀', '\u2028', '\u202e', '\t', '\r', '\r\n', '\ufeff',
];

type Mutator = (s: string, rnd: () => number) => string;
const pick = <T>(xs: readonly T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length)];
const at = (s: string, rnd: () => number) => Math.floor(rnd() * (s.length + 1));

const MUTATORS: Record<string, Mutator> = {
  truncate: (s, r) => s.slice(0, at(s, r)),
  dropLine: (s, r) => {
    const lines = s.split('\n');
    lines.splice(Math.floor(r() * lines.length), 1);
    return lines.join('\n');
  },
  duplicateLine: (s, r) => {
    const lines = s.split('\n');
    const i = Math.floor(r() * lines.length);
    lines.splice(i, 0, lines[i]);
    return lines.join('\n');
  },
  insertToken: (s, r) => {
    const i = at(s, r);
    return `${s.slice(0, i)} ${pick(TOKENS, r)} ${s.slice(i)}`;
  },
  insertGarbage: (s, r) => {
    const i = at(s, r);
    let g = '';
    const n = 1 + Math.floor(r() * 12);
    for (let k = 0; k < n; k++) g += String.fromCharCode(Math.floor(r() * (r() < 0.8 ? 128 : 0x10000)));
    return s.slice(0, i) + g + s.slice(i);
  },
  replaceNumber: (s, r) => {
    const nums = [...s.matchAll(/\d+(\.\d+)?/g)];
    if (nums.length === 0) return s;
    const m = pick(nums, r);
    return s.slice(0, m.index) + pick(['0', '-1', '3', '17', '2.5', '1e400', '99999999999999999999', '257', '65', '1e-400', '128'], r) + s.slice(m.index! + m[0].length);
  },
  swapChars: (s, r) => {
    if (s.length < 2) return s;
    const i = Math.floor(r() * (s.length - 1));
    return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  },
  deleteSpan: (s, r) => {
    const i = at(s, r);
    return s.slice(0, i) + s.slice(i + 1 + Math.floor(r() * 8));
  },
  hugeRepeat: (s, r) => {
    const i = at(s, r);
    return s.slice(0, i) + pick(['9', '{', ' heads 4 ', 'x', '(', ',', ';'], r).repeat(1 + Math.floor(r() * 400)) + s.slice(i);
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

function sources(): [string, string][] {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.sse'));
  return [['sketch', SKETCH], ...files.map((f): [string, string] => [f, readFileSync(join(EXAMPLES, f), 'utf8')])];
}

/** 1-based line/column of an offset, computed independently of the compiler's LineIndex. */
function position(text: string, offset: number): [number, number] {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      line++;
      col = 1;
    } else if (c === '\r') {
      // \r\n: the \n ends the line
      col++;
    } else col++;
  }
  return [line, col];
}

/** Checks every invariant of one result; returns a problem description or null. */
function problem(text: string, r: CompileResult): string | null {
  if (!r || !Array.isArray(r.diagnostics)) return 'no diagnostics array';
  const hasError = r.diagnostics.some((d) => d.severity === 'error');
  if ((r.spec === null) !== hasError) return `spec ${r.spec ? 'present' : 'null'} but hasError=${hasError}`;
  for (const d of r.diagnostics) {
    if (!/^SSE\d{3}$/.test(d.code)) return `bad code ${d.code}`;
    if (d.code === 'SSE099') return `internal error: ${d.message}`;
    if (d.severity !== 'error' && d.severity !== 'warning') return `bad severity ${d.severity}`;
    if (typeof d.message !== 'string' || d.message.length === 0 || d.message.includes('\n')) return `bad message ${JSON.stringify(d.message)}`;
    // Outside the quoted user text, no JS value names may appear (NaN, Infinity, undefined, ...).
    if (/NaN|Infinity|undefined|null|\[object/.test(d.message.replace(/'[^']*'/g, "''"))) return `message leaks a JS value: ${d.message}`;
    const g = d.range;
    const ints = [g.line, g.column, g.endLine, g.endColumn, g.offset, g.length];
    if (!ints.every((x) => Number.isInteger(x))) return `non-integer range ${JSON.stringify(g)}`;
    if (g.offset < 0 || g.length < 0 || g.offset + g.length > text.length) return `range out of bounds ${JSON.stringify(g)} for length ${text.length}`;
    const [l, c] = position(text, g.offset);
    const [el, ec] = position(text, g.offset + g.length);
    if (l !== g.line || c !== g.column || el !== g.endLine || ec !== g.endColumn) return `line/column disagree with offset: ${JSON.stringify(g)} vs ${l}:${c}-${el}:${ec}`;
  }
  if (r.spec) return specProblem(r.spec);
  return null;
}

/** A spec that got through must be sane: nothing out of range reaches code generation. */
function specProblem(s: KernelSpec): string | null {
  const inRange = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(s.name) || s.name.startsWith('__')) return `bad name ${s.name}`;
  if (!inRange(s.heads, 1, 128) || !inRange(s.keyDim, 1, 256) || !inRange(s.valueDim, 1, 256)) return 'dims out of range';
  if (!inRange(s.state.partitions, 0, 64) || (!s.state.shared && s.state.partitions === 0)) return 'bad state';
  if ((s.route === null) !== (s.state.partitions === 0)) return 'route iff partitions';
  if (s.route && !(inRange(s.route.write, 1, s.state.partitions) && inRange(s.route.read, 1, s.state.partitions))) return 'top-k out of range';
  if (!(Number.isFinite(s.scale) && s.scale > 0)) return `bad scale ${s.scale}`;
  if (s.chunk.length === 0 || !s.chunk.every((c) => CHUNK_SIZES.includes(c))) return 'bad chunk';
  if (s.targets.cuda && !s.targets.cuda.archs.every((a) => (CUDA_ARCHS as readonly string[]).includes(a))) return 'bad arch';
  if (s.passes.includes('backward') && !s.passes.includes('forward')) return 'backward without forward';
  if (!/^[0-9a-f]{16}$/.test(specHash(s))) return 'bad hash';
  return null;
}

describe('mutation test', () => {
  it(`${VARIANTS_PER_SOURCE} corrupted variants of each example: no throw, fast, consistent, in-bounds`, () => {
    const srcs = sources();
    let total = 0;
    let valid = 0;
    let slowest = 0;
    const failures: string[] = [];
    const usedCodes = new Set<string>();
    for (const [name, text] of srcs) {
      for (let v = 0; v < VARIANTS_PER_SOURCE; v++) {
        const seed = total * 7919 + 17;
        const rnd = prng(seed);
        let mutated = text;
        const applied: string[] = [];
        const steps = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < steps; k++) {
          const m = pick(MUTATOR_NAMES, rnd);
          applied.push(m);
          mutated = MUTATORS[m](mutated, rnd);
        }
        total++;
        const t0 = performance.now();
        let r: CompileResult;
        try {
          r = compileSpec(mutated, name);
        } catch (e) {
          failures.push(`${name} seed ${seed} [${applied}] threw ${String(e)}`);
          continue;
        }
        const ms = performance.now() - t0;
        slowest = Math.max(slowest, ms);
        if (ms > MAX_CALL_MS) failures.push(`${name} seed ${seed} [${applied}] took ${ms.toFixed(0)} ms`);
        const p = problem(mutated, r);
        if (p) failures.push(`${name} seed ${seed} [${applied}]: ${p}`);
        if (r.spec) valid++;
        for (const d of r.diagnostics) usedCodes.add(d.code);
        // the formatter copes with whatever came out
        const shown = formatDiagnostics(r.diagnostics, mutated);
        if (r.diagnostics.length > 0 && !shown.includes(`${name}:`)) failures.push(`${name} seed ${seed}: formatter lost the file name`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(3000);
    // The mutations must exercise both outcomes and many codes, or this test proves little.
    expect(valid).toBeGreaterThan(total * 0.05);
    expect(total - valid).toBeGreaterThan(total * 0.5);
    expect(usedCodes.size).toBeGreaterThanOrEqual(15);
    expect(slowest).toBeLessThan(MAX_CALL_MS);
    console.log(`mutation test: ${total} variants, ${valid} still valid, ${usedCodes.size} codes seen, slowest call ${slowest.toFixed(1)} ms`);
  });
});

describe('hostile inputs', () => {
  let seedState = prng(42);
  const rnd = () => seedState();
  const cases: [string, () => string][] = [
    ['empty', () => ''],
    ['only whitespace and comments', () => ' \n\t# c\n// d\n\r\n'],
    ['1 MB of binary', () => Array.from({ length: 1 << 20 }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('')],
    ['60 KB of binary', () => Array.from({ length: 60_000 }, () => String.fromCharCode(Math.floor(rnd() * 65536))).join('')],
    ['60 KB of random tokens', () => Array.from({ length: 12_000 }, () => pick(TOKENS, rnd)).join(' ')],
    ['60 KB of tokens inside a kernel', () => `kernel k {\n${Array.from({ length: 12_000 }, () => pick(TOKENS.filter((t) => t !== '{'), rnd)).join(' ')}\n}`],
    ['a 60 KB number', () => `kernel k { heads ${'9'.repeat(60_000)} }`],
    ['a 60 KB name', () => `kernel ${'a'.repeat(60_000)} { }`],
    ['deep nesting', () => `kernel k ${'{ state '.repeat(7000)}`],
    ['thousands of fields', () => `kernel k {\n${'heads 6\n'.repeat(7000)}}`],
    ['thousands of unknown fields', () => `kernel k {\n${'foo 6 (x) , y\n'.repeat(4000)}}`],
    ['thousands of errors', () => `kernel k {\n${'heads x y\n'.repeat(5000)}}`],
    ['a long arch list', () => `kernel k { heads 1; key_dim 16; value_dim 16; update gla; targets cuda(${'sm_80,'.repeat(8000)}sm_90) }`],
    ['lone surrogates and NULs', () => `kernel k\u0000 { heads \ud800 4 }`],
  ];
  seedState = prng(42);
  for (const [name, make] of cases) {
    it(name, () => {
      const text = make();
      const t0 = performance.now();
      const r = compileSpec(text, 'hostile.sse');
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(MAX_CALL_MS);
      expect(problem(text, r)).toBeNull();
      expect(r.diagnostics.length).toBeLessThanOrEqual(101);
      if (name !== 'a long arch list') expect(r.spec).toBeNull();
      formatDiagnostics(r.diagnostics, text);
    });
  }

  it('non-string input from untyped callers', () => {
    const r = compileSpec(undefined as unknown as string);
    expect(r.spec).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['SSE004']);
  });
});
