#!/usr/bin/env bash
# CUDA timings of several commits beside the working tree, in one call on a GPU host (same device, same
# inputs, the trees alternated: compare within one run, not across runs).
#
#   here:   bash test/bench/cuda_ab.sh prepare REV [REV ...]   # renders each REV's bench sources into .ab/cuda/<REV>
#   there:  bash test/bench/cuda_ab.sh run                     # carry .gpu, .ab and build/bench
#
# `prepare` also renders the working tree's sources (build/bench, test/bench/render_bench.ts; CONFIGS=A,B by
# default). `run` builds every tree's PyTorch extension in parallel (one build directory per tree), runs the
# GPU suite on the working tree meanwhile when SUITE=1 (test/gpu/check.ts; SUITE_FILTER narrows it), then
# ROUNDS (default 2) alternations of test/bench/cuda_vs_fla.py per tree (the working tree's script, each
# tree's sources; FIRST_CALLS=0 PROFILE=1), logs and JSON under $OUT (or build/ab-out), and prints per tree
# and path the forward / forward+backward medians of each round and the per-kernel device times.
set -uo pipefail
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"
cmd=${1:-}
shift || true
configs=${CONFIGS:-A,B}
case "$cmd" in
  prepare)
    mkdir -p .git/info
    grep -qx '/.ab/' .git/info/exclude 2>/dev/null || echo '/.ab/' >> .git/info/exclude
    for rev in "$@"; do
      sha=$(git rev-parse --short=12 "$rev") || exit 2
      tmp=$(mktemp -d)
      git archive "$sha" -- bin codegen dsl targets test package.json tsconfig.json | tar x -C "$tmp"
      ln -s "$root/node_modules" "$tmp/node_modules"
      (cd "$tmp" && CONFIGS=$configs npx tsx test/bench/render_bench.ts > /dev/null) || { echo "render failed for $sha" >&2; rm -rf "$tmp"; exit 2; }
      rm -rf ".ab/cuda/$sha" && mkdir -p ".ab/cuda/$sha/build"
      cp -r "$tmp/build/bench" ".ab/cuda/$sha/build/"
      rm -rf "$tmp"
      echo "prepared .ab/cuda/$sha ($(git log -1 --format=%s "$sha" | cut -c1-80))"
    done
    CONFIGS=$configs npx tsx test/bench/render_bench.ts > /dev/null && echo "rendered the working tree into build/bench"
    ;;
  run)
    out=${OUT:-build/ab-out}
    out=$(mkdir -p "$out" && cd "$out" && pwd)
    source .gpu/env.sh > /dev/null 2>&1 || { echo "no .gpu/env.sh: pack it here with ../shared/gpu-host/pack.sh and carry .gpu" >&2; exit 2; }
    trees=()
    for d in .ab/cuda/*/; do [ -d "$d" ] && trees+=("${d%/}"); done
    trees+=(.)
    name() { [ "$1" = . ] && echo worktree || basename "$1"; }
    for t in "${trees[@]}"; do  # extension builds, in parallel (configs of one tree one after another)
      n=$(name "$t")
      (cd "$t" && for cfg in ${configs//,/ }; do
        SSEC_TORCH_BUILD=/tmp/ssec_ab/$n python3 -c "
import glob, importlib.util
p = glob.glob('build/bench/$cfg/*_torch.py')[0]
s = importlib.util.spec_from_file_location('m', p); m = importlib.util.module_from_spec(s); s.loader.exec_module(m); m.load_extension()
print('built $n $cfg')"
      done > "$out/build-$n.log" 2>&1) &
    done
    if [ "${SUITE:-0}" = 1 ]; then
      node node_modules/tsx/dist/cli.mjs test/gpu/check.ts --out "$out/check" --work build/gpu-work ${SUITE_FILTER:+--filter "$SUITE_FILTER"} > "$out/check.log" 2>&1
      echo "== GPU suite (working tree) rc=$?"
      grep -E "passed$|^FAIL|built" "$out/check.log" | head -20
    fi
    wait
    grep -h "^built" "$out"/build-*.log
    for r in $(seq 1 "${ROUNDS:-2}"); do
      for t in "${trees[@]}"; do
        n=$(name "$t")
        mkdir -p "$out/$n-r$r"
        (cd "$t" && SSEC_TORCH_BUILD=/tmp/ssec_ab/$n CONFIGS=$configs FIRST_CALLS=0 PROFILE=1 OUT="$out/$n-r$r" \
          python3 "$root/test/bench/cuda_vs_fla.py") > "$out/$n-r$r.log" 2>&1
        echo "== $n round $r rc=$?"
      done
    done
    python3 - "$out" "${ROUNDS:-2}" "${trees[@]}" <<'EOF'
import json, os, sys
out, rounds, trees = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
names = ['worktree' if t == '.' else os.path.basename(t) for t in trees]
res = {}
for n in names:
    for r in range(1, rounds + 1):
        try:
            rows = json.load(open(os.path.join(out, f'{n}-r{r}', 'cuda_vs_fla.json')))
        except OSError:
            continue
        for row in rows:
            res.setdefault((row['cfg'], row['impl']), {}).setdefault(n, []).append(row)
for (cfg, impl), by in sorted(res.items()):
    print(f'\n{cfg} {impl}: fwd / fwd+bwd / no_grad fwd ms per round, then their means over the rounds')
    for n in names:
        rows = by.get(n, [])
        m = lambda key: sum(x.get(key, float('nan')) for x in rows) / len(rows)
        mean = f"   mean {m('fwd_ms'):.3f} / {m('fwdbwd_ms'):.3f} / {m('fwd_nograd_ms'):.3f}" if rows else ''
        print(f"  {n:14} " + '   '.join(f"{x['fwd_ms']:.3f} / {x['fwdbwd_ms']:.3f} / {x.get('fwd_nograd_ms', float('nan')):.3f}" for x in rows) + mean)
    for key, what in (('kernels_ms', 'fwd+bwd'), ('kernels_nograd_ms', 'no_grad fwd')):
        stages = sorted({k for rows in by.values() for x in rows for k in x.get(key, {})})
        if stages:
            print(f'  kernels of one {what} (ms, mean over rounds): ' + ' '.join(f'{s:>12}' for s in stages))
            for n in names:
                rows = by.get(n, [])
                mean = lambda s: sum(x.get(key, {}).get(s, 0.0) for x in rows) / max(len(rows), 1)
                print(f"  {n:14} {'':17}" + ' '.join(f'{mean(s):12.3f}' for s in stages))
EOF
    ;;
  *)
    echo "usage: $0 prepare REV [REV ...] | run" >&2
    exit 2
    ;;
esac
