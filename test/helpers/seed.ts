/**
 * Seeds of the kernel-vs-reference checks: fresh inputs on every run, from one seed per run that the failures name.
 * SSEC_TEST_SEED=n repeats a run's draws; each check adds its own offset so that the checks of one run differ.
 */
export const RUN_SEED = process.env.SSEC_TEST_SEED !== undefined ? Number(process.env.SSEC_TEST_SEED) : Date.now() % 1_000_000_007;
if (!Number.isSafeInteger(RUN_SEED)) throw new Error(`SSEC_TEST_SEED must be an integer, got '${process.env.SSEC_TEST_SEED}'`);

/** The seed of one check of this run. */
export function seedFor(offset: number): number {
  return RUN_SEED + offset;
}

/** What a failure message says so that the run can be repeated. */
export function seedNote(seed: number): string {
  return `seed ${seed}; SSEC_TEST_SEED=${RUN_SEED} repeats this run's inputs`;
}
