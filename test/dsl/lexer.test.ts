/** Tokens: keywords vs identifiers (longer_alt), numbers, separators, comments. */
import { describe, expect, it } from 'vitest';
import { SpecLexer } from '../../dsl/lexer.js';

const kinds = (text: string) => {
  const r = SpecLexer.tokenize(text);
  return { tokens: r.tokens.map((t) => `${t.tokenType.name}:${t.image.replace('\n', '\\n')}`), errors: r.errors.length };
};

describe('lexer', () => {
  it('a keyword that prefixes another word stays an identifier (longer_alt)', () => {
    expect(kinds('scale scale_k scale_q scale_x route routed_inputs router state states kernels').tokens).toEqual([
      'Scale:scale', 'ScaleK:scale_k', 'ScaleQ:scale_q', 'Identifier:scale_x', 'Route:route', 'RoutedInputs:routed_inputs',
      'Identifier:router', 'State:state', 'Identifier:states', 'Identifier:kernels',
    ]);
  });

  it('numbers, signs, slashes, separators; comments and blanks skipped', () => {
    expect(kinds('1 2.5 .5 1e400 6e-2 -3 1/sqrt(key_dim); # c\n// d\r\nx').tokens).toEqual([
      'NumberLit:1', 'NumberLit:2.5', 'NumberLit:.5', 'NumberLit:1e400', 'NumberLit:6e-2', 'Minus:-', 'NumberLit:3',
      'NumberLit:1', 'Slash:/', 'Sqrt:sqrt', 'LParen:(', 'KeyDim:key_dim', 'RParen:)', 'Semi:;', 'Newline:\\n',
      'Newline:\r\\n', 'Identifier:x',
    ]);
  });

  it('unknown characters are errors, the rest still lexes', () => {
    const r = kinds('heads $ 4 é');
    expect(r.tokens).toEqual(['Heads:heads', 'NumberLit:4']);
    expect(r.errors).toBe(2);
  });
});
