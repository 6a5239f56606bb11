/**
 * Public API of the spec front end: spec text → diagnostics and, when there is no error, the
 * resolved KernelSpec.
 *
 *   lexer.ts → parser.ts (CST, with error recovery) → visitor.ts (AST) → checks.ts → resolve.ts
 *
 * `compileSpec` never throws: any input (empty, binary, megabytes of garbage) gives diagnostics.
 */
import { readFileSync } from 'node:fs';
import type { IRecognitionException, IToken } from 'chevrotain';
import type { SpecAst } from './ast.js';
import { checkSpec } from './checks.js';
import { type Diagnostic, LineIndex, type Report, type SourceRange, quote } from './diagnostics.js';
import type { KernelSpec } from './kernel-spec.js';
import { LCurly, RCurly, Sep, SpecLexer } from './lexer.js';
import { MAX_PARSE_ERRORS, ParseBudgetExceeded, specParser } from './parser.js';
import { resolveSpec } from './resolve.js';
import { buildAst } from './visitor.js';

export type { Diagnostic, Severity, SourceRange } from './diagnostics.js';
export { formatDiagnostic, formatDiagnostics } from './diagnostics.js';
export * from './kernel-spec.js';
export * from './tensors.js';

export interface CompileResult {
  /** null iff `diagnostics` holds an error. */
  spec: KernelSpec | null;
  /** Sorted by position; errors and warnings. */
  diagnostics: Diagnostic[];
}

/** File name used in diagnostics when compileSpec is not given one. */
export const DEFAULT_FILE = '<input>';

/** At most this many diagnostics are returned; SSE005 says how many more there were. */
export const MAX_DIAGNOSTICS = 100;

/** Longest spec accepted, in UTF-16 code units. Real specs are well under 1 KiB. */
export const MAX_SPEC_LENGTH = 64 * 1024;

/** Deepest `{ }` nesting accepted; the language uses two levels (kernel { state { } }). */
export const MAX_NESTING = 8;

export function compileSpec(text: string, file: string = DEFAULT_FILE): CompileResult {
  const source = typeof text === 'string' ? text : String(text ?? '');
  const fileName = typeof file === 'string' ? file : DEFAULT_FILE;
  try {
    return compile(source, fileName);
  } catch (e) {
    // A bug in ssec, not in the spec: still a diagnostic, never an exception.
    const msg = e instanceof Error ? e.message : String(e);
    return {
      spec: null,
      diagnostics: [{ severity: 'error', code: 'SSE099', message: `internal error in the spec compiler: ${msg}`, range: emptyRange(), file: fileName }],
    };
  }
}

export function compileSpecFile(path: string): CompileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    const why = code ? `${READ_ERRORS[code] ?? 'read failed'} (${code})` : e instanceof Error ? e.message : String(e);
    return {
      spec: null,
      diagnostics: [{ severity: 'error', code: 'SSE000', message: `cannot read spec file ${path}: ${why}`, range: emptyRange(), file: path }],
    };
  }
  return compileSpec(text, path);
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function emptyRange(): SourceRange {
  return { line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, length: 0 };
}

function compile(text: string, file: string): CompileResult {
  const index = new LineIndex(text);
  const reports: Report[] = [];
  if (text.length > MAX_SPEC_LENGTH) {
    const d: Diagnostic = {
      severity: 'error',
      code: 'SSE006',
      message: `the spec is too large: ${text.length} characters, at most ${MAX_SPEC_LENGTH}`,
      range: index.range(MAX_SPEC_LENGTH, text.length),
      file,
    };
    return { spec: null, diagnostics: [d] };
  }

  const lexed = SpecLexer.tokenize(text);
  for (const e of lexed.errors) {
    const bad = text.slice(e.offset, e.offset + e.length);
    const what = e.length > 1 ? `characters ${quote(bad)}` : `character ${quote(bad)}`;
    reports.push({ severity: 'error', code: 'SSE001', message: `unexpected ${what}: not part of the spec language`, range: index.range(e.offset, e.offset + e.length) });
  }

  const meaningful = lexed.tokens.some((t) => !(t.tokenType.CATEGORIES ?? []).includes(Sep));
  let ast: SpecAst | null = null;
  if (!meaningful && lexed.errors.length === 0) {
    reports.push({
      severity: 'error',
      code: 'SSE004',
      message: 'the spec is empty: expected kernel NAME { heads H; key_dim K; value_dim V; update RULE }',
      range: index.range(0, 0),
    });
  } else if (!checkNesting(lexed.tokens, index, reports)) {
    specParser.input = lexed.tokens;
    let cst;
    let aborted = false;
    try {
      cst = specParser.spec();
    } catch (e) {
      if (!(e instanceof ParseBudgetExceeded)) throw e;
      aborted = true;
    }
    // An aborted parse may record one more error on the way out (Chevrotain's end-of-input check).
    const errors = specParser.errors.slice(0, MAX_PARSE_ERRORS);
    if (!aborted) ast = buildAst(cst, index);
    // Input after a complete kernel is its own code (SSE003), whichever way Chevrotain noticed it.
    const kernel = ast?.kernel;
    const kernelEnd = kernel?.complete ? kernel.range.offset + kernel.range.length : Infinity;
    for (const e of errors) {
      const r = parseErrorReport(e, index, text.length);
      if (r.range.offset >= kernelEnd && r.range.length > 0) r.code = 'SSE003';
      reports.push(r);
    }
    if (aborted) {
      const last = reports[reports.length - 1].range;
      reports.push({ severity: 'error', code: 'SSE005', message: `too many syntax errors: parsing stopped after ${errors.length}`, range: last });
    } else if (ast) {
      reports.push(...checkSpec(ast, { syntaxErrors: reports.length > 0 }));
    }
  }

  reports.sort((a, b) => a.range.offset - b.range.offset);
  let diagnostics: Diagnostic[] = reports.map((r) => ({ ...r, file }));
  if (diagnostics.length > MAX_DIAGNOSTICS) {
    const more = diagnostics.length - MAX_DIAGNOSTICS;
    const next = diagnostics[MAX_DIAGNOSTICS].range;
    diagnostics = diagnostics.slice(0, MAX_DIAGNOSTICS);
    diagnostics.push({ severity: 'error', code: 'SSE005', message: `too many problems: ${more} more not shown`, range: next, file });
  }
  for (const d of diagnostics) if (d.field === undefined) delete d.field;

  const hasError = diagnostics.some((d) => d.severity === 'error');
  const spec = hasError || !ast ? null : resolveSpec(ast);
  return { spec, diagnostics };
}

/** SSE007: blocks nested deeper than MAX_NESTING (the parser recurses per level). True if reported. */
function checkNesting(tokens: IToken[], index: LineIndex, reports: Report[]): boolean {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === LCurly && ++depth > MAX_NESTING) {
      reports.push({
        severity: 'error',
        code: 'SSE007',
        message: `blocks are nested more than ${MAX_NESTING} deep: the language has only kernel { } and state { } / route { } inside it`,
        range: index.range(t.startOffset, t.startOffset + 1),
      });
      return true;
    }
    if (t.tokenType === RCurly && depth > 0) depth--;
  }
  return false;
}

function realToken(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset) && t.tokenType?.name !== 'EOF';
}

function parseErrorReport(e: IRecognitionException, index: LineIndex, end: number): Report {
  const tok = e.token;
  const prev = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  let range: SourceRange;
  if (realToken(tok)) range = index.range(tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1);
  else if (realToken(prev)) {
    const at = (prev.endOffset ?? prev.startOffset) + 1;
    range = index.range(at, at);
  } else range = index.range(end, end);
  const code = e.name === 'NotAllInputParsedException' ? 'SSE003' : 'SSE002';
  return { severity: 'error', code, message: e.message, range };
}
