#!/usr/bin/env bash
# CUDA checks on a GPU host (see docs/cuda.md). From the repository root, after
# `bash /work/shared/gpu-host/pack.sh` here and with `.gpu` carried:
#   bash test/gpu/run-all.sh            # correctness suite + sanitizer + PyTorch binding
# Logs go to $OUT (or build/gpu-out). Prints a short summary last.
set -uo pipefail
OUT=${OUT:-build/gpu-out}
mkdir -p "$OUT"
source .gpu/env.sh
export SSEC_TORCH_BUILD=/tmp/ssec_torch_build
nvidia-smi -L | tee "$OUT/device.txt"
# 1. correctness suite (all edge cases, both impls)
PYTHONUNBUFFERED=1 node node_modules/tsx/dist/cli.mjs test/gpu/check.ts --out "$OUT" --work build/gpu-work 2>&1 | tee "$OUT/check.log"
# 2. sanitizer + PyTorch binding on small cases, both impls (SAN_CASE: comma-separated case names)
SAN_CASE=${SAN_CASE:-gla_f32_N16top2_perhead_own_seg1,wg_linear_bf16_K256_V64_kw2kr1}
for case in ${SAN_CASE//,/ }; do
  for impl in mask varlen; do
    keep=/tmp/ssec-keep-$case-$impl
    rm -rf "$keep"
    SSEC_CUDA_REPS=0 SSEC_CUDA_KEEP=$keep node node_modules/tsx/dist/cli.mjs test/gpu/check.ts --filter "$case" --impl $impl --out "$OUT/keep-$case-$impl" --work build/gpu-work > /dev/null 2>&1
    cmd=$(cat $keep/cmd.txt)
    for tool in memcheck racecheck; do
      compute-sanitizer --tool $tool --error-exitcode 9 $cmd > "$OUT/sanitizer-$tool-$case-$impl.log" 2>&1
      rc=$?
      echo "SANITIZER $tool $case $impl rc=$rc $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitizer-$tool-$case-$impl.log" | head -1)" | tee -a "$OUT/summary.txt"
    done
    python3 test/gpu/torch_check.py $keep 2>&1 | tail -25 | tee "$OUT/torch-$case-$impl.log" | grep -E "TORCH_BINDING|Error|error" | sed "s/^/$case /" | tee -a "$OUT/summary.txt"
  done
done
echo "==== summary ===="
grep -E "passed$" "$OUT/check.log"
grep -E "^FAIL" "$OUT/check.log" | sed -n '1,40p' | sort -u
cat "$OUT/summary.txt"
