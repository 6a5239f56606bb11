/**
 * CST → AST. Tolerates the partial trees that error recovery leaves (missing children, tokens
 * inserted by the parser with no position): such nodes come out with `complete: false`, or not at
 * all when even their field name is missing.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type {
  BlockField, ByField, ByFieldName, ChunkField, FieldNode, IntField, IntFieldName, KernelNode, ListField,
  ListFieldName, NumberNode, ScaleDivisor, ScaleField, SpecAst, TargetNode, TargetsField, TopField,
  TopFieldName, UnknownField, WordField, WordFieldName, WordNode,
} from './ast.js';
import type { LineIndex, SourceRange } from './diagnostics.js';
import { specParser } from './parser.js';

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

/** A token that really is in the source (not inserted by recovery). */
function real(tok: IToken | undefined): tok is IToken {
  return tok !== undefined && !tok.isInsertedInRecovery && Number.isFinite(tok.startOffset);
}

function tokens(ctx: Children, key: string): IToken[] {
  return (ctx[key] ?? []).filter(isToken);
}

function nodes(ctx: Children, key: string): CstNode[] {
  return (ctx[key] ?? []).filter((e): e is CstNode => !isToken(e));
}

const BaseVisitor = specParser.getBaseCstVisitorConstructor();

class AstBuilder extends BaseVisitor {
  index!: LineIndex;

  constructor() {
    super();
    this.validateVisitor();
  }

  /** Visits a child node, handing it its own CST node (for `recoveredNode`). */
  private sub(node: CstNode): unknown {
    return this.visit(node, node);
  }

  private tokRange(tok: IToken): SourceRange {
    return this.index.range(tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1);
  }

  /** Span of every real token under a CST node; null when it holds none. */
  private span(node: CstNode): SourceRange | null {
    let lo = Infinity;
    let hi = -Infinity;
    const stack: CstElement[] = [node];
    while (stack.length > 0) {
      const e = stack.pop()!;
      if (isToken(e)) {
        if (real(e)) {
          lo = Math.min(lo, e.startOffset);
          hi = Math.max(hi, (e.endOffset ?? e.startOffset) + 1);
        }
      } else {
        for (const list of Object.values(e.children)) if (list) stack.push(...list);
      }
    }
    return lo === Infinity ? null : this.index.range(lo, hi);
  }

  private word(tok: IToken | undefined): WordNode | null {
    return real(tok) ? { text: tok.image, range: this.tokRange(tok) } : null;
  }

  /** Shared head of every field: the name token and the node's extent. */
  private head(node: CstNode, ctx: Children) {
    const nameTok = tokens(ctx, 'name')[0];
    if (!real(nameTok)) return null;
    const nameRange = this.tokRange(nameTok);
    return { name: nameTok.image, nameRange, range: this.span(node) ?? nameRange, complete: !node.recoveredNode };
  }

  spec(ctx: Children): SpecAst {
    const k = nodes(ctx, 'kernel')[0];
    return { kernel: k ? (this.sub(k) as KernelNode | null) : null };
  }

  kernel(ctx: Children, node: CstNode): KernelNode | null {
    const kw = tokens(ctx, 'Kernel')[0];
    if (!real(kw)) return null;
    const name = this.word(tokens(ctx, 'name')[0]);
    const blockNode = nodes(ctx, 'block')[0];
    const block = blockNode ? (this.sub(blockNode) as { fields: FieldNode[]; complete: boolean }) : { fields: [], complete: false };
    return {
      keywordRange: this.tokRange(kw),
      name,
      fields: block.fields,
      range: this.span(node) ?? this.tokRange(kw),
      complete: !node.recoveredNode && name !== null && block.complete,
    };
  }

  block(ctx: Children, node: CstNode): { fields: FieldNode[]; complete: boolean } {
    const fields: FieldNode[] = [];
    for (const s of nodes(ctx, 'statement')) {
      const f = this.sub(s) as FieldNode | null;
      if (f) fields.push(f);
    }
    const closed = real(tokens(ctx, 'RCurly')[0]);
    return { fields, complete: !node.recoveredNode && closed };
  }

  statement(ctx: Children): FieldNode | null {
    for (const list of Object.values(ctx)) {
      const child = list?.find((e): e is CstNode => !isToken(e));
      if (child) return this.sub(child) as FieldNode | null;
    }
    return null;
  }

  number(ctx: Children): NumberNode | null {
    const lit = tokens(ctx, 'NumberLit')[0];
    if (!real(lit)) return null;
    const minus = tokens(ctx, 'Minus')[0];
    const neg = real(minus);
    const start = neg ? minus.startOffset : lit.startOffset;
    return {
      text: (neg ? '-' : '') + lit.image,
      value: (neg ? -1 : 1) * Number(lit.image),
      range: this.index.range(start, lit.endOffset! + 1),
    };
  }

  private numberChild(ctx: Children, key: string): NumberNode | null {
    const n = nodes(ctx, key)[0];
    return n ? (this.sub(n) as NumberNode | null) : null;
  }

  intField(ctx: Children, node: CstNode): IntField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const value = this.numberChild(ctx, 'value');
    if (!value) return { ...h, kind: 'int', name: h.name as IntFieldName, value: placeholderNumber(h.nameRange), complete: false };
    return { ...h, kind: 'int', name: h.name as IntFieldName, value };
  }

  topField(ctx: Children, node: CstNode): TopField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const value = this.numberChild(ctx, 'value');
    const complete = h.complete && value !== null && real(tokens(ctx, 'Top')[0]);
    return { ...h, kind: 'top', name: h.name as TopFieldName, value: value ?? placeholderNumber(h.nameRange), complete };
  }

  wordField(ctx: Children, node: CstNode): WordField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const value = this.word(tokens(ctx, 'value')[0]);
    return { ...h, kind: 'word', name: h.name as WordFieldName, value: value ?? placeholderWord(h.nameRange), complete: h.complete && value !== null };
  }

  byField(ctx: Children, node: CstNode): ByField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const value = this.word(tokens(ctx, 'value')[0]);
    const complete = h.complete && value !== null && real(tokens(ctx, 'By')[0]);
    return { ...h, kind: 'by', name: h.name as ByFieldName, value: value ?? placeholderWord(h.nameRange), complete };
  }

  listField(ctx: Children, node: CstNode): ListField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const list = nodes(ctx, 'wordList')[0];
    const result = list ? (this.sub(list) as { items: WordNode[]; complete: boolean }) : { items: [], complete: false };
    return { ...h, kind: 'list', name: h.name as ListFieldName, items: result.items, complete: h.complete && result.complete };
  }

  wordList(ctx: Children, node: CstNode): { items: WordNode[]; complete: boolean } {
    const all = tokens(ctx, 'items');
    const items = all.map((t) => this.word(t)).filter((w): w is WordNode => w !== null);
    return { items, complete: !node.recoveredNode && items.length === all.length && items.length > 0 };
  }

  chunkField(ctx: Children, node: CstNode): ChunkField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const auto = this.word(tokens(ctx, 'Auto')[0]);
    const sizeNodes = nodes(ctx, 'sizes');
    const sizes = sizeNodes.map((n) => this.sub(n) as NumberNode | null).filter((n): n is NumberNode => n !== null);
    const complete = h.complete && sizes.length === sizeNodes.length && (auto !== null || sizes.length > 0);
    return { ...h, kind: 'chunk', name: 'chunk', auto, sizes, complete };
  }

  scaleField(ctx: Children, node: CstNode): ScaleField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const numerator = this.numberChild(ctx, 'numerator');
    let complete = h.complete && numerator !== null;
    let divisor: ScaleDivisor | null = null;
    if (tokens(ctx, 'Slash').length > 0) {
      const num = nodes(ctx, 'divisor')[0];
      const call = nodes(ctx, 'sqrtCall')[0];
      if (num) {
        const value = this.sub(num) as NumberNode | null;
        if (value) divisor = { kind: 'number', value, range: value.range };
      } else if (call) {
        divisor = this.sub(call) as ScaleDivisor | null;
      }
      if (!divisor) complete = false;
    }
    const exprRange = this.index.range(
      (numerator ?? { range: h.nameRange }).range.offset,
      h.range.offset + h.range.length,
    );
    return { ...h, kind: 'scale', name: 'scale', numerator: numerator ?? placeholderNumber(h.nameRange), divisor, exprRange, complete };
  }

  sqrtCall(ctx: Children, node: CstNode): ScaleDivisor | null {
    if (node.recoveredNode || !real(tokens(ctx, 'RParen')[0]) || !real(tokens(ctx, 'LParen')[0])) return null;
    const range = this.span(node);
    const arg = this.numberChild(ctx, 'arg') ?? this.word(tokens(ctx, 'word')[0]);
    return arg && range ? { kind: 'sqrt', arg, range } : null;
  }

  targetsField(ctx: Children, node: CstNode): TargetsField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const itemNodes = nodes(ctx, 'items');
    const items = itemNodes.map((n) => this.sub(n) as TargetNode | null).filter((t): t is TargetNode => t !== null);
    return { ...h, kind: 'targets', name: 'targets', items, complete: h.complete && items.length === itemNodes.length && items.length > 0 };
  }

  target(ctx: Children, node: CstNode): TargetNode | null {
    const name = this.word(tokens(ctx, 'name')[0]);
    if (!name || node.recoveredNode) return null;
    const hasParens = tokens(ctx, 'LParen').length > 0;
    if (hasParens && !real(tokens(ctx, 'RParen')[0])) return null;
    const archTokens = tokens(ctx, 'archs');
    const archs = archTokens.map((t) => this.word(t)).filter((w): w is WordNode => w !== null);
    if (archs.length !== archTokens.length) return null;
    return { name, archs: hasParens ? archs : null, range: this.span(node) ?? name.range };
  }

  blockField(ctx: Children, node: CstNode): BlockField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    const blockNode = nodes(ctx, 'block')[0];
    const block = blockNode ? (this.sub(blockNode) as { fields: FieldNode[]; complete: boolean }) : { fields: [], complete: false };
    return { ...h, kind: 'block', name: h.name as 'state' | 'route', fields: block.fields, complete: h.complete && block.complete };
  }

  unknownField(ctx: Children, node: CstNode): UnknownField | null {
    const h = this.head(node, ctx);
    if (!h) return null;
    return { ...h, kind: 'unknown' };
  }
}

function placeholderNumber(range: SourceRange): NumberNode {
  return { text: '', value: NaN, range };
}

function placeholderWord(range: SourceRange): WordNode {
  return { text: '', range };
}

const builder = new AstBuilder();

/** Builds the AST of a parsed spec. `cst` may be a partial tree from error recovery. */
export function buildAst(cst: CstNode | undefined, index: LineIndex): SpecAst {
  if (!cst) return { kernel: null };
  builder.index = index;
  return builder.visit(cst, cst) as SpecAst;
}
