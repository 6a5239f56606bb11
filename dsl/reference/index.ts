/**
 * The float64 reference semantics of ssec: the oracle every GPU kernel is tested against.
 *
 * - recurrent (literal, token by token): referenceForward / referenceBackward
 * - chunked (the blueprint the GPU kernels follow), mask and varlen forms: chunkedForward /
 *   chunkedBackward, intermediates via chunkedTrace
 * - routing: route, varlenSegments (the GPU bucketing blueprint)
 * - inputs: randomInputs / randomCotangents (seeded, machine-independent)
 * - comparisons: compareTensor
 * See docs/semantics.md for the math.
 */
export type { TensorMap } from './layout.js';
export { randomInputs, randomCotangents, Rng } from './random.js';
export { type Routing, route, softmaxBackward, topK } from './routing.js';
export { referenceForward, applyUpdate } from './recurrent.js';
export { referenceBackward } from './recurrent-backward.js';
export { type Segment, varlenSegments } from './streams.js';
export {
  type ChunkedOptions,
  type ChunkTrace,
  type StreamTrace,
  type ChunkedTrace,
  chunkedForward,
  chunkedBackward,
  chunkedTrace,
} from './chunked.js';
export { type Comparison, compareTensor, compareAll, formatComparison } from './compare.js';
