/**
 * Grammar of the spec language (a Chevrotain CST parser with error recovery).
 *
 *   spec        := Sep* kernel Sep*
 *   kernel      := 'kernel' WORD block
 *   block       := '{' statement? (Sep statement?)* '}'          Sep = ';' | newline
 *   statement   := intField | topField | wordField | byField | listField | chunkField
 *                | scaleField | targetsField | blockField | unknownField
 *   intField    := ('heads' | 'key_dim' | 'value_dim' | 'partitions') number
 *   topField    := ('write' | 'read') 'top' number
 *   wordField   := ('layout' | 'dtype' | 'update' | 'shared' | 'routed_inputs' | 'logits'
 *                 | 'initial_state' | 'final_state') WORD
 *   byField     := ('scale_k' | 'scale_q') 'by' WORD
 *   listField   := ('impl' | 'passes') wordList
 *   chunkField  := 'chunk' ('auto' | number (',' number)*)
 *   scaleField  := 'scale' number ('/' (number | sqrtCall))?
 *   sqrtCall    := 'sqrt' '(' (number | WORD) ')'
 *   targetsField:= 'targets' target (',' target)*
 *   target      := WORD ('(' (WORD (',' WORD)*)? ')')?
 *   blockField  := ('state' | 'route') block
 *   unknownField:= IDENTIFIER (NUMBER | WORD | ',' | '(' | ')' | '/' | '-')* block?
 *   wordList    := WORD (',' WORD)*
 *   number      := '-'? NUMBER
 *
 * A statement ends at the end of its line (or at ';'): lists do not continue across lines, which
 * keeps error recovery line-local. Which field may appear in which block, and every value, is checked afterwards (checks.ts):
 * the grammar only fixes the shape of each statement.
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import * as T from './lexer.js';

/** Human wording of the token kinds in parse error messages. */
function describeExpected(t: TokenType): string {
  if (t === T.AnyWord || t === T.Identifier) return 'a name';
  if (t === T.Sep) return "';' or a newline";
  if (t === EOF) return 'end of file';
  return t.LABEL ?? t.name;
}

function describeActual(tok: IToken): string {
  if (tok.tokenType === EOF) return 'end of file';
  if (tok.tokenType === T.Newline) return 'end of line';
  let image = tok.image;
  if (image.length > 24) image = image.slice(0, 24) + '…';
  return `'${image}'`;
}

function uniqueFirstTokens(paths: TokenType[][][]): TokenType[] {
  const seen = new Set<TokenType>();
  for (const alt of paths) for (const path of alt) if (path.length > 0) seen.add(path[0]);
  return [...seen];
}

function listExpected(types: TokenType[]): string {
  // Collapse many keywords into "a field name" so the message stays short.
  const keywords = types.filter((t) => T.keywordTokens.includes(t));
  const others = types.filter((t) => !T.keywordTokens.includes(t));
  const parts = others.map(describeExpected);
  if (keywords.length > 3) parts.unshift('a field name');
  else parts.unshift(...keywords.map(describeExpected));
  const uniq = [...new Set(parts)];
  if (uniq.length <= 1) return uniq[0] ?? 'something else';
  return `${uniq.slice(0, -1).join(', ')} or ${uniq[uniq.length - 1]}`;
}

function trailingMessage(tok: IToken): string {
  return `unexpected ${describeActual(tok)} after the kernel's closing '}': a file holds one kernel`;
}

/** " after 'x'" when the previous token really precedes the offending one on its line. */
function afterPart(previous: IToken | undefined, actual: IToken): string {
  if (!previous || !previous.image || previous.tokenType === T.Newline || previous.isInsertedInRecovery) return '';
  if (actual.tokenType !== EOF && !(previous.startOffset < actual.startOffset)) return '';
  return ` after '${previous.image.slice(0, 24)}'`;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    if (expected === T.RCurly && actual.tokenType === EOF) return "expected '}' to close the block, found end of file";
    if (expected === EOF) return trailingMessage(actual);
    const after = afterPart(previous, actual);
    // `heads 6 key_dim 256`: a second statement on the same line without a separator.
    if (ruleName === 'block' && expected === T.RCurly && actual.tokenType !== EOF && previous && previous.endLine === actual.startLine) {
      return `expected ';' or a newline before ${describeActual(actual)}: one field per statement`;
    }
    return `expected ${describeExpected(expected)}${after}, found ${describeActual(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return trailingMessage(firstRedundant);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous }) {
    const after = afterPart(previous, actual[0]);
    return `expected ${listExpected(uniqueFirstTokens(expectedPathsPerAlt))}${after}, found ${describeActual(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, previous }) {
    const after = afterPart(previous, actual[0]);
    return `expected ${listExpected(uniqueFirstTokens([expectedIterationPaths]))}${after}, found ${describeActual(actual[0])}`;
  },
};

/** The parse stops after this many syntax errors (bounds time and recovery's recursion depth). */
export const MAX_PARSE_ERRORS = 25;

/** Thrown out of the parser when it has recorded MAX_PARSE_ERRORS errors. */
export class ParseBudgetExceeded extends Error {
  constructor() {
    super(`parsing stopped after ${MAX_PARSE_ERRORS} syntax errors`);
  }
}

/** Chevrotain's error recorder (error_handler trait); not in its public typings. */
interface ErrorRecorder {
  SAVE_ERROR(error: IRecognitionException): IRecognitionException;
}

export class SpecParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, errorMessageProvider: messages, maxLookahead: 2 });
    this.performSelfAnalysis();
    // Recovery re-enters repetitions recursively once per error, so garbage input could recurse
    // without bound: stop after a fixed number of errors instead (the non-recognition exception
    // passes through Chevrotain's rule catch handlers untouched).
    const recorder = this as unknown as ErrorRecorder;
    const save = recorder.SAVE_ERROR;
    recorder.SAVE_ERROR = (error) => {
      const saved = save.call(this, error);
      if (this.errors.length >= MAX_PARSE_ERRORS) throw new ParseBudgetExceeded();
      return saved;
    };
  }

  /** Never pretend a missing 'kernel' was there: on a non-spec file that only adds cascades. */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== T.Kernel;
  }

  public spec = this.RULE('spec', () => {
    this.MANY(() => this.CONSUME(T.Sep));
    this.SUBRULE(this.kernel);
    this.MANY2(() => this.CONSUME2(T.Sep));
  });

  public kernel = this.RULE('kernel', () => {
    this.CONSUME(T.Kernel);
    this.CONSUME(T.AnyWord, { LABEL: 'name' });
    this.SUBRULE(this.block);
  });

  public block = this.RULE('block', () => {
    this.CONSUME(T.LCurly);
    this.OPTION(() => this.SUBRULE(this.statement));
    this.MANY(() => {
      this.CONSUME(T.Sep);
      this.OPTION2(() => this.SUBRULE2(this.statement));
    });
    this.CONSUME(T.RCurly);
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.intField) },
      { ALT: () => this.SUBRULE(this.topField) },
      { ALT: () => this.SUBRULE(this.wordField) },
      { ALT: () => this.SUBRULE(this.byField) },
      { ALT: () => this.SUBRULE(this.listField) },
      { ALT: () => this.SUBRULE(this.chunkField) },
      { ALT: () => this.SUBRULE(this.scaleField) },
      { ALT: () => this.SUBRULE(this.targetsField) },
      { ALT: () => this.SUBRULE(this.blockField) },
      { ALT: () => this.SUBRULE(this.unknownField) },
    ]);
  });

  public intField = this.RULE('intField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Heads, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.KeyDim, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.ValueDim, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Partitions, { LABEL: 'name' }) },
    ]);
    this.SUBRULE(this.number, { LABEL: 'value' });
  });

  public topField = this.RULE('topField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Write, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Read, { LABEL: 'name' }) },
    ]);
    this.CONSUME(T.Top);
    this.SUBRULE(this.number, { LABEL: 'value' });
  });

  public wordField = this.RULE('wordField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Layout, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Dtype, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Update, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Shared, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.RoutedInputs, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Logits, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.InitialState, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.FinalState, { LABEL: 'name' }) },
    ]);
    this.CONSUME(T.AnyWord, { LABEL: 'value' });
  });

  public byField = this.RULE('byField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.ScaleK, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.ScaleQ, { LABEL: 'name' }) },
    ]);
    this.CONSUME(T.By);
    this.CONSUME(T.AnyWord, { LABEL: 'value' });
  });

  public listField = this.RULE('listField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Impl, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Passes, { LABEL: 'name' }) },
    ]);
    this.SUBRULE(this.wordList);
  });

  public wordList = this.RULE('wordList', () => {
    this.CONSUME(T.AnyWord, { LABEL: 'items' });
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.AnyWord, { LABEL: 'items' });
    });
  });

  public chunkField = this.RULE('chunkField', () => {
    this.CONSUME(T.Chunk, { LABEL: 'name' });
    this.OR([
      { ALT: () => this.CONSUME(T.Auto) },
      {
        ALT: () => {
          this.SUBRULE(this.number, { LABEL: 'sizes' });
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.number, { LABEL: 'sizes' });
          });
        },
      },
    ]);
  });

  public scaleField = this.RULE('scaleField', () => {
    this.CONSUME(T.Scale, { LABEL: 'name' });
    this.SUBRULE(this.number, { LABEL: 'numerator' });
    this.OPTION(() => {
      this.CONSUME(T.Slash);
      this.OR([
        { ALT: () => this.SUBRULE2(this.number, { LABEL: 'divisor' }) },
        { ALT: () => this.SUBRULE(this.sqrtCall) },
      ]);
    });
  });

  public sqrtCall = this.RULE('sqrtCall', () => {
    this.CONSUME(T.Sqrt);
    this.CONSUME(T.LParen);
    this.OR([
      { ALT: () => this.SUBRULE(this.number, { LABEL: 'arg' }) },
      { ALT: () => this.CONSUME(T.AnyWord, { LABEL: 'word' }) },
    ]);
    this.CONSUME(T.RParen);
  });

  public targetsField = this.RULE('targetsField', () => {
    this.CONSUME(T.Targets, { LABEL: 'name' });
    this.SUBRULE(this.target, { LABEL: 'items' });
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.target, { LABEL: 'items' });
    });
  });

  public target = this.RULE('target', () => {
    this.CONSUME(T.AnyWord, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        this.CONSUME2(T.AnyWord, { LABEL: 'archs' });
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.CONSUME3(T.AnyWord, { LABEL: 'archs' });
        });
      });
      this.CONSUME(T.RParen);
    });
  });

  public blockField = this.RULE('blockField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.State, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Route, { LABEL: 'name' }) },
    ]);
    this.SUBRULE(this.block);
  });

  public unknownField = this.RULE('unknownField', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.NumberLit) },
        { ALT: () => this.CONSUME(T.AnyWord) },
        { ALT: () => this.CONSUME(T.Comma) },
        { ALT: () => this.CONSUME(T.LParen) },
        { ALT: () => this.CONSUME(T.RParen) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.Minus) },
      ]);
    });
    this.OPTION(() => this.SUBRULE(this.block));
  });

  public number = this.RULE('number', () => {
    this.OPTION(() => this.CONSUME(T.Minus));
    this.CONSUME(T.NumberLit);
  });
}

/** One parser instance, reused: Chevrotain parsers are built once and fed new input. */
export const specParser = new SpecParser();
