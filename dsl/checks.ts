/**
 * Checks of the spec AST, Langium style: small functions per node kind, each reporting
 * `{severity, code, message, range, field}` with a stable code (docs/language.md lists them all).
 *
 *   SSE1xx  one field's value (unknown/duplicate/misplaced fields, ranges, allowed words)
 *   SSE2xx  fields that contradict each other
 *   SSE3xx  warnings: legal but probably not what was meant
 *
 * The `validate*` functions are pure (value or reports) and shared with resolve.ts, so the value a
 * check accepted is exactly the value that ends up in the KernelSpec.
 */
import type {
  BlockField, BlockName, ByField, ChunkField, FieldNode, IntField, KernelNode, ListField, NumberNode,
  ScaleField, SpecAst, TargetsField, TopField, WordField, WordNode,
} from './ast.js';
import type { Accept, Report, SourceRange } from './diagnostics.js';
import { quote } from './diagnostics.js';
import { CHUNK_SIZES, CUDA_ARCHS, type ChunkSize, type CudaArch } from './kernel-spec.js';

// ---------------------------------------------------------------------------------------------
// The field table: where each field lives, what it accepts.

/** Block each field belongs to. */
export const FIELD_BLOCK: Readonly<Record<string, BlockName>> = {
  heads: 'kernel', key_dim: 'kernel', value_dim: 'kernel', layout: 'kernel', dtype: 'kernel', update: 'kernel',
  state: 'kernel', route: 'kernel', scale: 'kernel', chunk: 'kernel', impl: 'kernel', passes: 'kernel',
  initial_state: 'kernel', final_state: 'kernel', targets: 'kernel',
  shared: 'state', partitions: 'state', routed_inputs: 'state',
  logits: 'route', write: 'route', read: 'route', scale_k: 'route', scale_q: 'route',
};

export const REQUIRED_FIELDS = ['heads', 'key_dim', 'value_dim', 'update'] as const;

const REQUIRED_WHY: Record<(typeof REQUIRED_FIELDS)[number], string> = {
  heads: 'the number of heads H, 1..128',
  key_dim: 'the key dimension K, 1..256',
  value_dim: 'the value dimension V, 1..256',
  update: 'the state update rule: gla, decay, linear or gdn',
};

/** Integer fields: allowed range and why. */
const INT_RANGE: Readonly<Record<string, { min: number; max: number; why: string }>> = {
  heads: { min: 1, max: 128, why: '' },
  key_dim: { min: 1, max: 256, why: " (the state K×V must fit the kernels' tiles)" },
  value_dim: { min: 1, max: 256, why: " (the state K×V must fit the kernels' tiles)" },
  partitions: { min: 0, max: 64, why: ' (routed state partitions per head)' },
};

/** Most partitions a spec may have; also the cap of `write top`/`read top` before N is known. */
const MAX_PARTITIONS = 64;

/** Words each word-valued field accepts (first one listed is not necessarily the default). */
export const WORD_VALUES: Readonly<Record<string, readonly string[]>> = {
  layout: ['BTHD', 'BHTD'],
  dtype: ['f32', 'f16', 'bf16'],
  update: ['gla', 'decay', 'linear', 'gdn'],
  shared: ['on', 'off'],
  routed_inputs: ['own', 'shared'],
  logits: ['per_token', 'per_head'],
  initial_state: ['on', 'off'],
  final_state: ['on', 'off'],
  scale_k: ['prob', 'none'],
  scale_q: ['prob', 'none'],
  impl: ['mask', 'varlen'],
  passes: ['forward', 'backward'],
  targets: ['cuda', 'wgsl'],
};

export const DEFAULT_CUDA_ARCHS: readonly CudaArch[] = ['sm_80', 'sm_90'];

/** Names that must not become a kernel name: C, C++, CUDA and WGSL keywords, reserved words and
 * builtins, plus the entry points the generated code defines. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(
  `
  auto break case char const continue default do double else enum extern float for goto if inline int long
  register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
  _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local
  alignas alignof and and_eq asm bitand bitor bool catch char8_t char16_t char32_t class compl concept consteval
  constexpr constinit const_cast co_await co_return co_yield decltype delete dynamic_cast explicit export false
  friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
  reinterpret_cast requires static_assert static_cast template this thread_local throw true try typeid typename
  using virtual wchar_t xor xor_eq override final import module NULL main std size_t
  __global__ __device__ __host__ __shared__ __constant__ __managed__ __restrict__ __forceinline__ __noinline__
  threadIdx blockIdx blockDim gridDim warpSize half half2 nv_bfloat16 nv_bfloat162 float2 float4 int2 int4 dim3
  alias array atomic bitcast f16 f32 i32 u32 fn let loop mat2x2 mat3x3 mat4x4 override private ptr sampler
  storage uniform var vec2 vec3 vec4 workgroup read write read_write function discard enable requires diagnostic
  fallthrough const_assert texture_2d handle binding group builtin location compute vertex fragment
  workgroup_size elseif premerge regardless unless until vec mat
  kernel
  `
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_MAX = 64;

// ---------------------------------------------------------------------------------------------
// Small helpers

function shown(text: string): string {
  return text.length > 24 ? text.slice(0, 24) + '…' : text;
}

function fieldPath(name: string): string {
  const b = FIELD_BLOCK[name];
  return b === 'state' || b === 'route' ? `${b}.${name}` : name;
}

function blockLabel(b: BlockName): string {
  return b === 'kernel' ? 'the kernel body' : `${b} { }`;
}

function orList(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** Closest candidate within a small edit distance (case-insensitive), or null. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  if (word.length === 0 || word.length > 40) return null;
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(w.length, 3) / 3));
  return best !== null && bestD <= limit ? best : null;
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s ? `; did you mean ${s}?` : '';
}

type Validated<T> = { value: T; reports: [] } | { value: undefined; reports: Report[] };

function ok<T>(value: T): Validated<T> {
  return { value, reports: [] };
}

function fail(...reports: Report[]): Validated<never> {
  return { value: undefined, reports };
}

function err(code: string, message: string, range: SourceRange, field?: string): Report {
  return { severity: 'error', code, message, range, field };
}

function warn(code: string, message: string, range: SourceRange, field?: string): Report {
  return { severity: 'warning', code, message, range, field };
}

// ---------------------------------------------------------------------------------------------
// Collecting fields: unknown, misplaced and duplicate fields (SSE100, SSE101, SSE102)

/** First valid occurrence of each field, keyed by path (`heads`, `state`, `state.partitions`). */
export type FieldTable = Map<string, FieldNode>;

export function collectFields(kernel: KernelNode, accept: Accept): FieldTable {
  const table: FieldTable = new Map();
  collectBlock(kernel.fields, 'kernel', table, accept);
  return table;
}

function collectBlock(fields: FieldNode[], block: BlockName, table: FieldTable, accept: Accept): void {
  for (const f of fields) {
    if (f.kind === 'unknown') {
      checkUnknownField(f.name, f.nameRange, block, accept);
      continue;
    }
    const home = FIELD_BLOCK[f.name];
    if (home !== block) {
      const where = home === 'kernel' ? 'at the top level of the kernel body' : `inside ${home} { }`;
      accept(err('SSE102', `${f.name} is not allowed in ${blockLabel(block)}: it belongs ${where}`, f.nameRange, fieldPath(f.name)));
      continue;
    }
    const path = fieldPath(f.name);
    const first = table.get(path);
    if (first) {
      accept(err('SSE101', `${f.name} is given twice (first at line ${first.nameRange.line}): give each field once`, f.nameRange, path));
      continue;
    }
    table.set(path, f);
    if (f.kind === 'block') collectBlock(f.fields, f.name, table, accept);
  }
}

function checkUnknownField(name: string, range: SourceRange, block: BlockName, accept: Accept): void {
  const here = Object.keys(FIELD_BLOCK).filter((k) => FIELD_BLOCK[k] === block);
  let hint = suggest(name, here);
  let where = '';
  if (!hint) {
    hint = suggest(name, Object.keys(FIELD_BLOCK));
    if (hint) where = FIELD_BLOCK[hint] === 'kernel' ? ' (at the top level of the kernel body)' : ` (inside ${FIELD_BLOCK[hint]} { })`;
  }
  const tail = hint ? `; did you mean ${hint}${where}?` : `; fields here: ${here.join(', ')}`;
  accept(err('SSE100', `unknown field ${quote(name)} in ${blockLabel(block)}${tail}`, range));
}

// ---------------------------------------------------------------------------------------------
// Per-node validation (SSE104..SSE112, SSE305)

export function validateKernelName(name: WordNode): Validated<string> {
  const t = name.text;
  if (!NAME_PATTERN.test(t) || t.length > NAME_MAX || t.startsWith('__') || /^_[A-Z]/.test(t)) {
    const why =
      t.length > NAME_MAX
        ? `is ${t.length} characters long: at most ${NAME_MAX}`
        : t.startsWith('__')
          ? "starts with '__', which C/C++ and WGSL reserve for the implementation"
          : /^_[A-Z]/.test(t)
            ? "starts with '_' and a capital letter, which C/C++ reserve for the implementation"
            : 'is not an identifier: use letters, digits and _, not starting with a digit';
    return fail(err('SSE107', `kernel name ${quote(t)} ${why}`, name.range, 'name'));
  }
  if (RESERVED_NAMES.has(t)) {
    return fail(err('SSE108', `kernel name ${quote(t)} is a reserved word in C/C++, CUDA or WGSL (or of ssec): choose another name, e.g. ${t}_layer`, name.range, 'name'));
  }
  return ok(t);
}

function validateInteger(field: string, label: string, n: NumberNode, min: number, max: number, why: string): Validated<number> {
  const allowed = `allowed ${min}..${max}${why}`;
  if (!Number.isFinite(n.value) || n.value < min || n.value > max) {
    return fail(err('SSE105', `${label} ${shown(n.text)} is out of range: ${allowed}`, n.range, field));
  }
  if (!Number.isInteger(n.value)) return fail(err('SSE104', `${label} ${shown(n.text)} is not an integer: ${allowed}`, n.range, field));
  return ok(n.value);
}

export function validateInt(f: IntField): Validated<number> {
  const r = INT_RANGE[f.name];
  return validateInteger(fieldPath(f.name), f.name, f.value, r.min, r.max, r.why);
}

/** `write top k` / `read top k`; `partitions` (when known and valid) bounds k. */
export function validateTop(f: TopField, partitions: number | undefined): Validated<number> {
  const max = partitions !== undefined && partitions > 0 ? partitions : MAX_PARTITIONS;
  const why = partitions !== undefined && partitions > 0 ? ` (partitions ${partitions})` : ' (at most partitions)';
  const v = validateInteger(fieldPath(f.name), `${f.name} top`, f.value, 1, MAX_PARTITIONS, why);
  if (v.value === undefined) {
    // Re-word the range using N when N is known, so the message names the real bound.
    if (partitions !== undefined && partitions > 0 && v.reports[0].code === 'SSE105') {
      return fail(err('SSE105', `${f.name} top ${shown(f.value.text)} is out of range: allowed 1..${max}${why}`, f.value.range, fieldPath(f.name)));
    }
    return v;
  }
  if (partitions !== undefined && partitions > 0 && v.value > partitions) {
    return fail(err('SSE203', `${f.name} top ${v.value} exceeds partitions ${partitions}: allowed 1..${partitions}`, f.value.range, fieldPath(f.name)));
  }
  return v;
}

function validateWordIn(field: string, label: string, w: WordNode, allowed: readonly string[]): Validated<string> {
  if (allowed.includes(w.text)) return ok(w.text);
  return fail(err('SSE106', `${label} ${quote(w.text)} is not allowed: use ${orList(allowed)}${didYouMean(w.text, allowed)}`, w.range, field));
}

export function validateWord(f: WordField | ByField): Validated<string> {
  const label = f.kind === 'by' ? `${f.name} by` : f.name;
  return validateWordIn(fieldPath(f.name), label, f.value, WORD_VALUES[f.name]);
}

function duplicateWarnings(items: { text: string; range: SourceRange }[], field: string, accept: Accept, effect = 'the repeat is ignored'): void {
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.text)) accept(warn('SSE305', `${field} lists ${quote(it.text)} twice; ${effect}`, it.range, field));
    seen.add(it.text);
  }
}

/** `impl` / `passes`: a set, returned in canonical order. */
export function validateList(f: ListField): Validated<string[]> {
  const allowed = WORD_VALUES[f.name];
  const reports: Report[] = [];
  for (const it of f.items) reports.push(...validateWordIn(f.name, `${f.name} entry`, it, allowed).reports);
  if (reports.length > 0) return fail(...reports);
  return ok(allowed.filter((a) => f.items.some((it) => it.text === a)));
}

export function validateChunk(f: ChunkField): Validated<ChunkSize[]> {
  if (f.auto) return ok([...CHUNK_SIZES]);
  const reports: Report[] = [];
  const sizes = new Set<ChunkSize>();
  for (const n of f.sizes) {
    const c = CHUNK_SIZES.find((s) => s === n.value);
    if (c === undefined) reports.push(err('SSE110', `chunk ${shown(n.text)} is not allowed: use ${orList(CHUNK_SIZES.map(String))}, a list of them, or auto`, n.range, 'chunk'));
    else sizes.add(c);
  }
  if (reports.length > 0) return fail(...reports);
  return ok([...sizes].sort((a, b) => a - b));
}

/** `scale x`, `scale a/b`, `scale a/sqrt(b)`, `scale a/sqrt(key_dim)`; needs K for the last form. */
export function validateScale(f: ScaleField, keyDim: number | undefined): Validated<number> {
  const bad = (why: string) => fail(err('SSE109', `scale ${scaleText(f)} ${why}`, f.exprRange, 'scale'));
  let value = f.numerator.value;
  const d = f.divisor;
  if (d?.kind === 'number') {
    if (d.value.value === 0) return bad('divides by zero: it must be a positive finite number');
    value /= d.value.value;
  } else if (d?.kind === 'sqrt') {
    let arg: number;
    if ('value' in d.arg) arg = d.arg.value;
    else if (d.arg.text === 'key_dim') {
      if (keyDim === undefined) return { value: undefined, reports: [] }; // key_dim itself is reported
      arg = keyDim;
    } else return bad('is not allowed: sqrt takes a number or key_dim');
    if (!(arg > 0)) return bad('takes the root of a number that is not positive: it must be a positive finite number');
    value /= Math.sqrt(arg);
  }
  if (!Number.isFinite(value) || !(value > 0)) {
    return bad(`${Number.isFinite(value) ? 'is not positive' : 'is not a finite number'}: it must be a positive finite number, e.g. 1/sqrt(key_dim)`);
  }
  return ok(value);
}

function scaleText(f: ScaleField): string {
  const d = f.divisor;
  const div = d === null ? '' : d.kind === 'number' ? `/${d.value.text}` : `/sqrt(${d.arg.text})`;
  return shown(f.numerator.text + div);
}

export type TargetsValue = { cuda: { archs: CudaArch[] } | null; wgsl: boolean };

export function validateTargets(f: TargetsField, accept?: Accept): Validated<TargetsValue> {
  const reports: Report[] = [];
  let cuda: CudaArch[] | null = null;
  let wgsl = false;
  for (const t of f.items) {
    const name = validateWordIn('targets', 'target', t.name, WORD_VALUES.targets);
    if (name.value === undefined) {
      reports.push(...name.reports);
      continue;
    }
    if (name.value === 'wgsl') {
      if (t.archs !== null) reports.push(err('SSE112', `target wgsl takes no arguments: write wgsl, not wgsl(...)`, t.range, 'targets'));
      wgsl = true;
      continue;
    }
    if (t.archs !== null && t.archs.length === 0) {
      reports.push(err('SSE112', `cuda() lists no architectures: write cuda for the default (${DEFAULT_CUDA_ARCHS.join(', ')}) or list some of ${CUDA_ARCHS.join(', ')}`, t.range, 'targets'));
      continue;
    }
    const archs: Set<CudaArch> = new Set(cuda ?? []);
    const listed: { text: string; range: SourceRange }[] = t.archs ?? DEFAULT_CUDA_ARCHS.map((text) => ({ text, range: t.range }));
    for (const a of listed) {
      const arch = CUDA_ARCHS.find((x) => x === a.text);
      if (arch === undefined) {
        reports.push(err('SSE111', `unknown CUDA architecture ${quote(a.text)}: use ${orList(CUDA_ARCHS)}${didYouMean(a.text, CUDA_ARCHS)}`, a.range, 'targets'));
      } else archs.add(arch);
    }
    cuda = CUDA_ARCHS.filter((a) => archs.has(a));
  }
  if (accept) {
    duplicateWarnings(f.items.map((t) => ({ text: t.name.text, range: t.name.range })), 'targets', accept, 'the entries are merged');
    for (const t of f.items) if (t.archs) duplicateWarnings(t.archs, 'targets', accept);
  }
  if (reports.length > 0) return fail(...reports);
  return ok({ cuda: cuda === null ? null : { archs: cuda }, wgsl });
}

// ---------------------------------------------------------------------------------------------
// Typed access to the table (used by the cross-field checks and by resolve)

export function getField<K extends FieldNode['kind']>(table: FieldTable, path: string, kind: K): Extract<FieldNode, { kind: K }> | undefined {
  const f = table.get(path);
  return f && f.kind === kind && f.complete ? (f as Extract<FieldNode, { kind: K }>) : undefined;
}

/** Validated value of an int field, undefined when absent or invalid. */
export function intOf(table: FieldTable, path: string): number | undefined {
  const f = getField(table, path, 'int');
  return f ? validateInt(f).value : undefined;
}

export function wordOf(table: FieldTable, path: string): string | undefined {
  const f = getField(table, path, 'word') ?? getField(table, path, 'by');
  return f ? validateWord(f).value : undefined;
}

/**
 * Partitions N as resolve will see it: the explicit value, 0 when not given, undefined when the
 * given value is invalid (then checks depending on N stay quiet).
 */
export function partitionsOf(table: FieldTable): number | undefined {
  const f = table.get('state.partitions');
  if (!f) return 0;
  return intOf(table, 'state.partitions');
}

// ---------------------------------------------------------------------------------------------
// The check pipeline

export interface CheckOptions {
  /** The parse reported errors: skip missing-field and cross-field checks (they would cascade). */
  syntaxErrors: boolean;
}

export function checkSpec(ast: SpecAst, opts: CheckOptions): Report[] {
  const reports: Report[] = [];
  const accept: Accept = (r) => reports.push(r);
  const kernel = ast.kernel;
  if (!kernel) return reports;
  if (kernel.name) validateKernelName(kernel.name).reports.forEach(accept);
  const table = collectFields(kernel, accept);
  checkFieldValues(table, accept);
  if (!opts.syntaxErrors && kernel.complete) {
    checkRequired(kernel, table, accept);
    checkCrossFields(table, accept);
    checkWarnings(table, accept);
  }
  return reports;
}

function checkFieldValues(table: FieldTable, accept: Accept): void {
  const N = partitionsOf(table);
  const K = intOf(table, 'key_dim');
  for (const f of table.values()) {
    if (!f.complete) continue;
    switch (f.kind) {
      case 'int':
        validateInt(f).reports.forEach(accept);
        break;
      case 'top':
        validateTop(f, N).reports.forEach(accept);
        break;
      case 'word':
      case 'by':
        validateWord(f).reports.forEach(accept);
        break;
      case 'list':
        validateList(f).reports.forEach(accept);
        duplicateWarnings(f.items, f.name, accept);
        break;
      case 'chunk':
        validateChunk(f).reports.forEach(accept);
        duplicateWarnings(f.sizes.map((s) => ({ text: String(s.value), range: s.range })), 'chunk', accept);
        break;
      case 'scale':
        validateScale(f, K).reports.forEach(accept);
        break;
      case 'targets':
        validateTargets(f, accept).reports.forEach(accept);
        break;
      case 'block':
      case 'unknown':
        break;
    }
  }
}

/** SSE103 */
function checkRequired(kernel: KernelNode, table: FieldTable, accept: Accept): void {
  const at = kernel.name?.range ?? kernel.keywordRange;
  for (const name of REQUIRED_FIELDS) {
    if (!table.has(name)) accept(err('SSE103', `missing required field ${name}: ${REQUIRED_WHY[name]}`, at, name));
  }
}

/** SSE200..SSE204 */
function checkCrossFields(table: FieldTable, accept: Accept): void {
  const N = partitionsOf(table);
  const sharedField = getField(table, 'state.shared', 'word');
  const shared = wordOf(table, 'state.shared');
  const partitionsField = getField(table, 'state.partitions', 'int');
  const route = table.get('route') as BlockField | undefined;

  if (shared === 'off' && N === 0 && sharedField) {
    accept(err('SSE200', 'shared off with partitions 0 leaves no state at all: turn shared on, or set state { partitions N } with N in 1..64', sharedField.value.range, 'state.shared'));
  }
  if (N !== undefined && N > 0 && !route) {
    const at = partitionsField?.value.range ?? table.get('state')!.nameRange;
    accept(err('SSE201', `partitions ${N} needs a route { ... } block saying how tokens pick partitions, e.g. route { write top 1; read top 1 }`, at, 'route'));
  }
  if (N === 0 && route) {
    accept(err('SSE202', 'route { } is given but partitions is 0, so there is nothing to route: set state { partitions N } with N ≥ 1, or remove route', route.nameRange, 'route'));
  }
  const passes = getField(table, 'passes', 'list');
  const pv = passes ? validateList(passes).value : undefined;
  if (passes && pv && pv.includes('backward') && !pv.includes('forward')) {
    accept(err('SSE204', 'passes backward needs forward too: the backward kernels recompute from the forward pass; write passes forward, backward', passes.range, 'passes'));
  }
}

/** SSE300..SSE306 (SSE305 comes from the list checks) */
function checkWarnings(table: FieldTable, accept: Accept): void {
  const N = partitionsOf(table);
  const H = intOf(table, 'heads');
  const route = table.get('route') as BlockField | undefined;
  if (route && N !== undefined && N > 0) {
    const sk = getField(table, 'route.scale_k', 'by');
    const sq = getField(table, 'route.scale_q', 'by');
    if (sk && sq && wordOf(table, 'route.scale_k') === 'none' && wordOf(table, 'route.scale_q') === 'none') {
      const later = sq.range.offset > sk.range.offset ? sq : sk;
      accept(warn('SSE300', 'scale_k by none and scale_q by none: the routing probabilities scale nothing, so the router logits get no gradient; scale at least one by prob', later.range, `route.${later.name}`));
    }
    const wf = getField(table, 'route.write', 'top');
    const rf = getField(table, 'route.read', 'top');
    const write = wf ? validateTop(wf, N).value : 1;
    const read = rf ? validateTop(rf, N).value : write;
    if (write === N && read === N) {
      accept(warn('SSE301', `write top ${write} and read top ${read} select all ${N} partitions: every token uses every partition, so routing does nothing; lower top or use fewer partitions`, (rf ?? wf ?? route).range, 'route'));
    }
    const logits = getField(table, 'route.logits', 'word');
    if (logits && wordOf(table, 'route.logits') === 'per_head' && H === 1) {
      accept(warn('SSE302', 'logits per_head with heads 1 is the same as per_token; per_token is the usual spelling', logits.value.range, 'route.logits'));
    }
  }
  for (const name of ['key_dim', 'value_dim'] as const) {
    const f = getField(table, name, 'int');
    const v = intOf(table, name);
    if (f && v !== undefined && v % 16 !== 0) {
      accept(warn('SSE303', `${name} ${v} is not a multiple of 16: tensor-core tiles are padded to ${Math.ceil(v / 16) * 16}, wasting work`, f.value.range, name));
    }
  }
  const sf = getField(table, 'scale', 'scale');
  const K = intOf(table, 'key_dim');
  if (sf && K !== undefined) {
    const s = validateScale(sf, K).value;
    const ref = 1 / Math.sqrt(K);
    if (s !== undefined && (s > 4 * ref || s < ref / 4)) {
      accept(warn('SSE304', `scale ${formatNumber(s)} is more than 4× away from 1/sqrt(key_dim) = ${formatNumber(ref)}: attention logits will be badly scaled`, sf.exprRange, 'scale'));
    }
  }
  const ri = getField(table, 'state.routed_inputs', 'word');
  if (ri && N === 0 && wordOf(table, 'state.routed_inputs') === 'own') {
    accept(warn('SSE306', 'routed_inputs own has no effect with partitions 0: there is no routed branch to give its own inputs', ri.value.range, 'state.routed_inputs'));
  }
}

function formatNumber(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
