/**
 * Size expressions shared by the plan and every backend.
 *
 * A buffer dimension or grid extent is either a compile-time number or an expression over the
 * runtime sizes below. The same text is valid C and WGSL integer arithmetic once each symbol is
 * bound to a uniform/parameter field, so backends print it as is; hosts evaluate it with `evalSize`.
 *
 * Runtime symbols (never part of a kernel identity):
 *   B   batch rows (1 with cu_seqlens)        T   tokens per row (total tokens with cu_seqlens)
 *   S   sequences (B, or cu_seqlens.length-1)
 */
export type RuntimeSymbol = 'B' | 'T' | 'S';
export const RUNTIME_SYMBOLS: readonly RuntimeSymbol[] = ['B', 'T', 'S'];

/** A size: a number, or an expression using + - * / (integer, floor), parentheses and RUNTIME_SYMBOLS. */
export type Size = number | string;

export type RuntimeSizes = Record<RuntimeSymbol, number>;

const TOKEN = /\s*(?:(\d+)|([A-Za-z_]\w*)|(.))/gy;

/** Evaluates a size expression with integer (floor) division. Throws on unknown symbols or syntax. */
export function evalSize(size: Size, env: RuntimeSizes): number {
  if (typeof size === 'number') return size;
  const toks: (number | string)[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < size.length && (m = TOKEN.exec(size))) {
    if (m[1] !== undefined) toks.push(Number(m[1]));
    else if (m[2] !== undefined) {
      if (!(m[2] in env)) throw new Error(`unknown size symbol '${m[2]}' in '${size}'`);
      toks.push(env[m[2] as RuntimeSymbol]);
    } else if (m[3] !== undefined && m[3].trim() !== '') toks.push(m[3]);
  }
  let i = 0;
  const atom = (): number => {
    const t = toks[i++];
    if (typeof t === 'number') return t;
    if (t === '(') {
      const v = sum();
      if (toks[i++] !== ')') throw new Error(`missing ')' in '${size}'`);
      return v;
    }
    throw new Error(`unexpected '${String(t)}' in '${size}'`);
  };
  const product = (): number => {
    let v = atom();
    while (toks[i] === '*' || toks[i] === '/') {
      const op = toks[i++];
      const r = atom();
      v = op === '*' ? v * r : Math.floor(v / r);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (toks[i] === '+' || toks[i] === '-') {
      const op = toks[i++];
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (i !== toks.length) throw new Error(`trailing input in '${size}'`);
  return v;
}

/** ceil(a / b) as an expression. */
export function ceilDiv(a: Size, b: number): Size {
  if (typeof a === 'number') return Math.ceil(a / b);
  return `((${a}) + ${b - 1}) / ${b}`;
}

export function mul(...xs: Size[]): Size {
  const nums = xs.filter((x): x is number => typeof x === 'number').reduce((a, b) => a * b, 1);
  const syms = xs.filter((x): x is string => typeof x === 'string');
  if (syms.length === 0) return nums;
  if (syms.length === 1 && nums === 1) return syms[0];
  const parts = syms.map((s) => (/^[A-Za-z_]\w*$/.test(s) ? s : `(${s})`));
  if (nums !== 1) parts.push(String(nums));
  return parts.join(' * ');
}

export function add(...xs: Size[]): Size {
  const nums = xs.filter((x): x is number => typeof x === 'number').reduce((a, b) => a + b, 0);
  const syms = xs.filter((x): x is string => typeof x === 'string');
  if (syms.length === 0) return nums;
  const parts = [...syms];
  if (nums !== 0) parts.push(String(nums));
  return parts.join(' + ');
}
