/** varlenSegments: the GPU bucketing blueprint. */
import { describe, expect, it } from 'vitest';
import { randomInputs, route, varlenSegments } from '../../dsl/reference/index.js';
import { makeSpec } from '../helpers/spec.js';

describe('varlenSegments', () => {
  it('per_token (varlen[0,3,7] H2 N3 kw1 kr2): shared segment first, then W ∪ R per partition in token order', () => {
    const spec = makeSpec({ state: { shared: true, partitions: 3 }, route: { write: 1, read: 2 } });
    const shape = { B: 1, T: 7, cuSeqlens: [0, 3, 7] };
    const routing = route(spec, shape, randomInputs(spec, shape, 3).e)!;
    const segs = varlenSegments(spec, shape, routing);
    expect(segs.map((s) => [s.seq, s.partition, s.routed, s.head])).toEqual([
      [0, 0, -1, null], [0, 1, 0, null], [0, 2, 1, null], [0, 3, 2, null],
      [1, 0, -1, null], [1, 1, 0, null], [1, 2, 1, null], [1, 3, 2, null],
    ]);
    expect(Array.from(segs[0].tokens)).toEqual([0, 1, 2]);
    expect(Array.from(segs[4].tokens)).toEqual([3, 4, 5, 6]);
    for (const s of segs.filter((x) => x.routed >= 0)) {
      const [bos, eos] = s.seq === 0 ? [0, 3] : [3, 7];
      const want = [];
      for (let t = bos; t < eos; t++) if (routing.writers[t * 3 + s.routed] || routing.readers[t * 3 + s.routed]) want.push(t);
      expect(Array.from(s.tokens)).toEqual(want);
      s.tokens.forEach((t, j) => {
        expect(s.writer[j]).toBe(routing.writers[t * 3 + s.routed]);
        expect(s.reader[j]).toBe(routing.readers[t * 3 + s.routed]);
      });
    }
    // every token writes exactly one partition and reads two → read-only tokens exist
    const writes = segs.filter((x) => x.routed >= 0).reduce((a, s) => a + s.writer.reduce((p, w) => p + w, 0), 0);
    expect(writes).toBe(7);
    expect(segs.some((s) => s.writer.some((w, j) => !w && s.reader[j]))).toBe(true);
  });

  it('per_head (B2 T4 H2 N2, no shared): one segment per (sequence, head, partition), head-major', () => {
    const spec = makeSpec({ heads: 2, state: { shared: false, partitions: 2 }, route: { logits: 'per_head', write: 1, read: 1 } });
    const shape = { B: 2, T: 4 };
    const segs = varlenSegments(spec, shape, route(spec, shape, randomInputs(spec, shape, 1).e));
    expect(segs.map((s) => [s.seq, s.b, s.head, s.routed])).toEqual([
      [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, 1],
      [1, 1, 0, 0], [1, 1, 0, 1], [1, 1, 1, 0], [1, 1, 1, 1],
    ]);
    // kw = kr = 1: per (sequence, head) the partitions split the tokens
    for (let i = 0; i < segs.length; i += 2) expect(segs[i].tokens.length + segs[i + 1].tokens.length).toBe(4);
  });
});
