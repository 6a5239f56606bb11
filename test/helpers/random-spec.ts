/**
 * Random spec texts over the language's legal ranges (docs/language.md), for checks that must hold for every spec the
 * front end and a target accept — not only the examples. Deterministic per seed, so a failure names its seed and its
 * text and reproduces as an .sse file.
 */

/** A small linear congruential generator: enough to spread draws over the spec space, reproducible per seed. */
export function rng(seed: number): () => number {
  let s = Math.abs(Math.floor(seed)) % 2147483648;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/**
 * One spec text. Sizes lean towards what models use (multiples of 16 up to 256) with odd ones mixed in; partitions
 * 0 – 33 (33 is over the CUDA target's limit of 32, so targets' own checks are drawn too); both layouts, dtypes,
 * routings, chunk sizes and state options; CUDA archs from sm_80 to sm_90.
 */
export function randomSpecText(rnd: () => number, name: string): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const dim = () => pick([pick([16, 32, 48, 64, 96, 128, 192, 256]), 256, 128, 64, 1 + Math.floor(rnd() * 256)]);
  const N = pick([0, 1, 2, 4, 6, 8, 16, 32, 33]);
  const shared = N === 0 ? 'on' : pick(['on', 'off']);
  const archs = [...new Set([pick(['sm_80', 'sm_86', 'sm_89', 'sm_90']), pick(['sm_80', 'sm_90'])])];
  const top = () => 1 + Math.floor(rnd() * Math.min(N, 4));
  const route =
    N > 0
      ? `route { logits ${pick(['per_token', 'per_head'])}; write top ${top()}; read top ${top()}${rnd() < 0.5 ? '; scale_k by prob' : ''}${rnd() < 0.5 ? '; scale_q by prob' : ''} }`
      : '';
  return [
    `kernel ${name} {`,
    `  heads ${pick([1, 2, 3, 6, 16])}; key_dim ${dim()}; value_dim ${dim()}; dtype ${pick(['bf16', 'bf16', 'f16', 'f32'])}`,
    `  layout ${pick(['BTHD', 'BHTD'])}; update ${pick(['gla', 'gla', 'decay', 'linear'])}`,
    `  state { shared ${shared}; partitions ${N}${N > 0 ? `; routed_inputs ${pick(['own', 'shared'])}` : ''} }`,
    ...(route ? [`  ${route}`] : []),
    `  chunk ${pick(['16', '32', '64', '64', '128', '32, 64'])}`,
    `  initial_state ${pick(['on', 'off'])}; final_state ${pick(['on', 'off'])}`,
    `  targets cuda(${archs.join(', ')})`,
    '}',
    '',
  ].join('\n');
}
