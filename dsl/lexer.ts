/**
 * Tokens of the spec language.
 *
 * Field names and the few connector words (`top`, `by`, `sqrt`, `auto`) are keywords; value words
 * (`bf16`, `gla`, `on`, `sm_90`, ...) are plain identifiers, so a wrong value is a checked field
 * error with a suggestion rather than a syntax error. Every keyword and `Identifier` belongs to the
 * `AnyWord` category, which is what value and name positions accept.
 * Newlines are tokens: like `;` they separate statements (category `Sep`).
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const AnyWord = createToken({ name: 'AnyWord', pattern: Lexer.NA });
export const Sep = createToken({ name: 'Sep', pattern: Lexer.NA });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [AnyWord] });

function keyword(word: string): TokenType {
  const name = word
    .split('_')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: [AnyWord], label: `'${word}'` });
}

export const Kernel = keyword('kernel');
export const Heads = keyword('heads');
export const KeyDim = keyword('key_dim');
export const ValueDim = keyword('value_dim');
export const Layout = keyword('layout');
export const Dtype = keyword('dtype');
export const Update = keyword('update');
export const State = keyword('state');
export const Shared = keyword('shared');
export const Partitions = keyword('partitions');
export const RoutedInputs = keyword('routed_inputs');
export const Route = keyword('route');
export const Logits = keyword('logits');
export const Write = keyword('write');
export const Read = keyword('read');
export const ScaleK = keyword('scale_k');
export const ScaleQ = keyword('scale_q');
export const Scale = keyword('scale');
export const Chunk = keyword('chunk');
export const Impl = keyword('impl');
export const Passes = keyword('passes');
export const InitialState = keyword('initial_state');
export const FinalState = keyword('final_state');
export const Targets = keyword('targets');
export const Top = keyword('top');
export const By = keyword('by');
export const Sqrt = keyword('sqrt');
export const Auto = keyword('auto');

/**
 * Keywords, longest first: a keyword that is a prefix of another (`scale` / `scale_k`,
 * `route` / `routed_inputs`) must come after it, since the lexer takes the first pattern that matches.
 */
export const keywordTokens: TokenType[] = [
  Kernel, Heads, KeyDim, ValueDim, Layout, Dtype, Update, State, Shared, Partitions, RoutedInputs,
  Route, Logits, Write, Read, ScaleK, ScaleQ, Scale, Chunk, Impl, Passes, InitialState, FinalState,
  Targets, Top, By, Sqrt, Auto,
].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length);

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /(?:\/\/|#)[^\n\r]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: 'Newline', pattern: /\r\n?|\n/, line_breaks: true, categories: [Sep], label: 'a newline' });
export const Semi = createToken({ name: 'Semi', pattern: /;/, categories: [Sep], label: "';'" });
export const LCurly = createToken({ name: 'LCurly', pattern: /\{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /\}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
/** Decimal literal with optional fraction and exponent; its value is checked later (range, integer). */
export const NumberLit = createToken({ name: 'NumberLit', pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/, label: 'a number' });

/** Order matters: comments before `/`, keywords before `Identifier`. */
export const allTokens: TokenType[] = [
  WhiteSpace, Comment, Newline, Semi, LCurly, RCurly, LParen, RParen, Comma, Slash, Minus, NumberLit,
  ...keywordTokens, Identifier, AnyWord, Sep,
];

export const SpecLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
