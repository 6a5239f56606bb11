/**
 * Diagnostics of the spec front end: positions, the diagnostic record, and the text formatter.
 *
 * Positions are UTF-16 offsets into the source (what JavaScript strings index), with 1-based
 * line/column. `endLine`/`endColumn` point just past the last character (exclusive end), so an
 * empty range has `length 0` and end == start.
 */

export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  length: number;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable code, SSE0xx lexical/parse, SSE1xx field values, SSE2xx cross-field, SSE3xx warnings. */
  code: string;
  message: string;
  /** The spec field the diagnostic is about (`heads`, `route.write`, ...), when there is one. */
  field?: string;
  range: SourceRange;
  file: string;
}

/** A diagnostic before it is attached to a file: what check functions report. */
export type Report = Omit<Diagnostic, 'file'>;
export type Accept = (report: Report) => void;

/** Maps offsets to 1-based line/column; built once per source text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** 1-based line and column of an offset (clamped into [0, text.length]). */
  position(offset: number): { line: number; column: number } {
    const o = clampOffset(offset, this.text.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo] + 1 };
  }

  /** Range of [start, end) offsets; both are clamped into the text, end >= start. */
  range(start: number, end: number): SourceRange {
    const s = clampOffset(start, this.text.length);
    const e = Math.max(s, clampOffset(end, this.text.length));
    const a = this.position(s);
    const b = this.position(e);
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column, offset: s, length: e - s };
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    if (line < 1 || line > this.starts.length) return '';
    const start = this.starts[line - 1];
    let end = line < this.starts.length ? this.starts[line] : this.text.length;
    while (end > start && (this.text.charCodeAt(end - 1) === 10 || this.text.charCodeAt(end - 1) === 13)) end--;
    return this.text.slice(start, end);
  }

  get lineCount(): number {
    return this.starts.length;
  }
}

function clampOffset(o: number, len: number): number {
  if (!Number.isFinite(o)) return len;
  return Math.min(Math.max(0, Math.trunc(o)), len);
}

/** Quotes a piece of user text for a message: short, printable, never multi-line. */
export function quote(text: string, max = 24): string {
  let s = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) {
      s += `\\u{${cp.toString(16)}}`;
    } else s += ch;
    if (s.length > max) {
      s = s.slice(0, max) + '…';
      break;
    }
  }
  return `'${s}'`;
}

const MAX_SHOWN_LINE = 160;

/**
 * `file:line:col: error SSE012: message`, then the source line and a caret line with `^` under the
 * range (to the end of the line for multi-line ranges; one `^` for empty ranges).
 */
export function formatDiagnostic(d: Diagnostic, text: string): string {
  return formatWith(d, new LineIndex(text));
}

export function formatDiagnostics(ds: Diagnostic[], text: string): string {
  const index = new LineIndex(text);
  return ds.map((d) => formatWith(d, index)).join('\n');
}

function formatWith(d: Diagnostic, index: LineIndex): string {
  const { line, column } = d.range;
  const head = `${d.file}:${line}:${column}: ${d.severity} ${d.code}: ${d.message}`;
  let src = index.lineText(line);
  let startCol = Math.max(1, Math.min(column, src.length + 1));
  let width = d.range.endLine === line ? d.range.endColumn - startCol : src.length + 1 - startCol;
  width = Math.max(1, Math.min(width, Math.max(1, src.length + 1 - startCol)));
  // Window very long lines around the range so a 1 MB one-line file prints a readable excerpt.
  if (src.length > MAX_SHOWN_LINE) {
    const from = Math.max(0, Math.min(startCol - 1 - 40, src.length - MAX_SHOWN_LINE));
    src = (from > 0 ? '…' : '') + src.slice(from, from + MAX_SHOWN_LINE) + (from + MAX_SHOWN_LINE < src.length ? '…' : '');
    startCol = startCol - from + (from > 0 ? 1 : 0);
    width = Math.min(width, MAX_SHOWN_LINE);
  }
  // Keep tabs in the padding so the caret lines up under tab-indented source.
  const pad = src.slice(0, startCol - 1).replace(/[^\t]/g, ' ');
  const shown = src.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
  return `${head}\n  ${shown}\n  ${pad}${'^'.repeat(width)}`;
}
