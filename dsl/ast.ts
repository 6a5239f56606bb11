/**
 * The spec AST: what the visitor builds from the CST and what checks and resolve read.
 *
 * Every node carries its source range. A node built from input that the parser had to repair
 * (a token it inserted, a statement it re-synced past) has `complete: false`; checks skip its
 * values, since the syntax error already says what is wrong.
 */
import type { SourceRange } from './diagnostics.js';

export interface Located {
  range: SourceRange;
}

/** An identifier or keyword in a value or name position. */
export interface WordNode extends Located {
  text: string;
}

/** A number literal, sign included. `value` is `Number(text)` and may be NaN or ±Infinity (1e400). */
export interface NumberNode extends Located {
  text: string;
  value: number;
}

export type BlockName = 'kernel' | 'state' | 'route';

export type IntFieldName = 'heads' | 'key_dim' | 'value_dim' | 'partitions';
export type TopFieldName = 'write' | 'read';
export type WordFieldName =
  | 'layout'
  | 'dtype'
  | 'update'
  | 'shared'
  | 'routed_inputs'
  | 'logits'
  | 'initial_state'
  | 'final_state';
export type ByFieldName = 'scale_k' | 'scale_q';
export type ListFieldName = 'impl' | 'passes';

interface FieldBase extends Located {
  /** Range of the field keyword (or the unknown word). */
  nameRange: SourceRange;
  complete: boolean;
}

/** `heads 6` */
export interface IntField extends FieldBase {
  kind: 'int';
  name: IntFieldName;
  value: NumberNode;
}

/** `write top 2` */
export interface TopField extends FieldBase {
  kind: 'top';
  name: TopFieldName;
  value: NumberNode;
}

/** `dtype bf16` */
export interface WordField extends FieldBase {
  kind: 'word';
  name: WordFieldName;
  value: WordNode;
}

/** `scale_k by prob` */
export interface ByField extends FieldBase {
  kind: 'by';
  name: ByFieldName;
  value: WordNode;
}

/** `impl mask, varlen` */
export interface ListField extends FieldBase {
  kind: 'list';
  name: ListFieldName;
  items: WordNode[];
}

/** `chunk 32, 64` or `chunk auto` */
export interface ChunkField extends FieldBase {
  kind: 'chunk';
  name: 'chunk';
  auto: WordNode | null;
  sizes: NumberNode[];
}

/** Divisor of a scale expression: `/ 16` or `/ sqrt(key_dim)` / `/ sqrt(256)`. */
export type ScaleDivisor =
  | { kind: 'number'; value: NumberNode; range: SourceRange }
  | { kind: 'sqrt'; arg: NumberNode | WordNode; range: SourceRange };

/** `scale 0.0625` or `scale 1/sqrt(key_dim)` */
export interface ScaleField extends FieldBase {
  kind: 'scale';
  name: 'scale';
  numerator: NumberNode;
  divisor: ScaleDivisor | null;
  /** Range of the whole expression. */
  exprRange: SourceRange;
}

/** One entry of `targets`: `wgsl`, `cuda`, `cuda(sm_80, sm_90)`. */
export interface TargetNode extends Located {
  name: WordNode;
  /** null without parentheses; [] for empty parentheses. */
  archs: WordNode[] | null;
}

export interface TargetsField extends FieldBase {
  kind: 'targets';
  name: 'targets';
  items: TargetNode[];
}

/** `state { ... }` / `route { ... }` */
export interface BlockField extends FieldBase {
  kind: 'block';
  name: 'state' | 'route';
  fields: FieldNode[];
}

/** A statement starting with a word that is not a field name. */
export interface UnknownField extends FieldBase {
  kind: 'unknown';
  name: string;
}

export type FieldNode =
  | IntField
  | TopField
  | WordField
  | ByField
  | ListField
  | ChunkField
  | ScaleField
  | TargetsField
  | BlockField
  | UnknownField;

/** `kernel NAME { ... }` */
export interface KernelNode extends Located {
  keywordRange: SourceRange;
  name: WordNode | null;
  fields: FieldNode[];
  complete: boolean;
}

export interface SpecAst {
  kernel: KernelNode | null;
}
