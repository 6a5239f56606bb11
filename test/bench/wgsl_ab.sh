#!/usr/bin/env bash
# WGSL timings of several commits beside the working tree, in one call on a GPU host (same device,
# same inputs, back to back: compare within one run, not across runs).
#
#   here:   bash test/bench/wgsl_ab.sh prepare REV [REV ...]   # git archive each REV into .ab/<REV> (git-ignored)
#   there:  bash test/bench/wgsl_ab.sh run [wgsl_bench args]   # carry .gpu and .ab; prints one block per tree
#
# `run` sources .gpu/env.sh (see ../shared/gpu-host/pack.sh), then runs test/bench/wgsl_bench.ts in each
# prepared tree and in the working tree (default args: --check B=1,T=130 --profile --warmup 2 --repeats 5),
# logs under $OUT (or build/ab-out), and prints the forward / forward+backward lines and the per-kernel
# medians of each.
set -uo pipefail
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"
cmd=${1:-}
shift || true
case "$cmd" in
  prepare)
    [ $# -gt 0 ] || { echo "usage: $0 prepare REV [REV ...]" >&2; exit 2; }
    mkdir -p .git/info
    grep -qx '/.ab/' .git/info/exclude 2>/dev/null || echo '/.ab/' >> .git/info/exclude
    for rev in "$@"; do
      sha=$(git rev-parse --short=12 "$rev") || exit 2
      rm -rf ".ab/$sha" && mkdir -p ".ab/$sha"
      git archive "$sha" -- bin codegen dsl targets test/bench examples package.json tsconfig.json | tar x -C ".ab/$sha"
      ln -s ../../node_modules ".ab/$sha/node_modules"
      echo "prepared .ab/$sha ($(git log -1 --format=%s "$sha" | cut -c1-80))"
    done
    ;;
  run)
    out=${OUT:-build/ab-out}
    mkdir -p "$out"
    source .gpu/env.sh > /dev/null 2>&1 || { echo "no .gpu/env.sh: pack it here with ../shared/gpu-host/pack.sh and carry .gpu" >&2; exit 2; }
    args=("$@")
    [ ${#args[@]} -gt 0 ] || args=(--check B=1,T=130 --profile --warmup 2 --repeats 5)
    trees=()
    for d in .ab/*/; do [ -d "$d" ] && [ "$d" != .ab/cuda/ ] && trees+=("${d%/}"); done  # .ab/cuda: cuda_ab.sh
    trees+=(.)
    for t in "${trees[@]}"; do
      name=$([ "$t" = . ] && echo worktree || basename "$t")
      (cd "$t" && node "$root/node_modules/tsx/dist/cli.mjs" test/bench/wgsl_bench.ts "${args[@]}") > "$out/$name.log" 2>&1
      echo "== $name rc=$?"
      grep -E "forward [0-9]|FAIL|fail|Error|^  [a-z_]+ +[0-9.]+ ms" "$out/$name.log" | grep -v "times:"
    done
    ;;
  *)
    echo "usage: $0 prepare REV [REV ...] | run [wgsl_bench args]" >&2
    exit 2
    ;;
esac
