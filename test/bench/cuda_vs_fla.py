"""ssec CUDA vs fla SSE-GLA, same run, same inputs (benchmark, not a test). On a GPU host:

    npx tsx test/bench/render_bench.ts            # renders build/bench/{A,B}
    CONFIGS=A IMPLS=mask,varlen FLA=1 python3 test/bench/cuda_vs_fla.py

Times forward, forward+backward and forward under torch.no_grad (ssec's inference forward; triton do_bench medians) of
ssec's two impls and, with FLA=1,
fla's (peer code in .peer/fla; its first call autotunes for minutes, which test/bench/cuda_vs_fla_cached.sh
keeps for later calls), checks ssec against fla on the
same inputs (relative RMS of o and of the input gradients), and reports ssec's time to first result
cold (extension build) and cached (test/bench/first_call.py: fresh processes, build cached, PyTorch's
import and CUDA context timed apart from ssec's part).

Numerics only, without fla's minutes of autotuning: FLA_ONE_CONFIG=1 makes every Triton autotuner run
the first of its configs that launches (fla's outputs do not depend on the config; its times then mean
nothing and are not printed). ETA_MARGIN=m adds m to each token's top-k router logits before rounding
them to bf16, so that selecting on f32 or on bf16-rounded probabilities picks the same partitions.
"""
import glob
import importlib.util
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
import triton

ROOT = os.getcwd()
sys.path.insert(0, os.path.join(ROOT, '.peer'))
CFG = {
    'A': dict(B=4, T=4096, H=6, D=256, N=4, K=1),
    'B': dict(B=8, T=2048, H=16, D=128, N=8, K=2),
}


def load_binding(cfg):
    path = glob.glob(os.path.join(ROOT, 'build', 'bench', cfg, '*_torch.py'))[0]
    spec = importlib.util.spec_from_file_location('ssec_' + cfg, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m, path


def rel(a, b):
    a, b = a.float(), b.float()
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


def routed_alike(eta, k):
    """[B, T] bool: the token selects the same top-k partitions from f32 router probabilities (ssec, fla's
    varlen path) as from probabilities rounded to eta's dtype with ties to the lower index (fla's mask path)."""
    p = torch.softmax(eta.detach().float(), -1)
    def sel(x):
        order = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
        return torch.zeros_like(x, dtype=torch.bool).scatter_(-1, order, True)
    return (sel(p) == sel(p.to(eta.dtype).float())).all(-1)


def one_config_autotune():
    """Every Triton Autotuner (fla's included: they subclass it) benchmarks only the first config of a key
    that launches; the others score infinity without being compiled."""
    from triton.runtime.autotuner import Autotuner
    prune, bench_one = Autotuner.prune_configs, Autotuner._bench

    def pruned(self, *a, **k):
        self._ssec_found = False
        return prune(self, *a, **k)

    def first(self, *a, **k):
        if getattr(self, '_ssec_found', False):
            return [float('inf')] * 3
        r = bench_one(self, *a, **k)
        self._ssec_found = all(math.isfinite(x) for x in r)
        return r

    Autotuner.prune_configs, Autotuner._bench = pruned, first


def with_margin(eta, k, m):
    """eta (bf16) with m added to each token's k largest logits (chosen on f32 probabilities)."""
    e = eta.detach().float()
    top = torch.topk(torch.softmax(e, -1), k, dim=-1).indices
    return e.scatter_add(-1, top, torch.full_like(top, m, dtype=e.dtype)).to(eta.dtype).requires_grad_(True)


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode='median')


def main():
    dev = 'cuda'
    os.environ.setdefault('SSEC_TORCH_BUILD', '/tmp/ssec_torch_build_bench')
    use_fla = os.environ.get('FLA') == '1'
    one_config = os.environ.get('FLA_ONE_CONFIG') == '1'
    if use_fla and one_config:
        one_config_autotune()
    impls = os.environ.get('IMPLS', 'mask,varlen').split(',')
    rows = []
    for cfg in os.environ.get('CONFIGS', 'A').split(','):
        c = CFG[cfg.split('-')[0]]  # 'A-t256': config A's shapes, sources from build/bench/A-t256
        m, path = load_binding(cfg)
        t0 = time.time()
        m.load_extension()
        cold = time.time() - t0
        firsts = []
        for _ in range(int(os.environ.get('FIRST_CALLS', '3'))):  # fresh processes, build cached
            r = subprocess.run([sys.executable, os.path.join(ROOT, 'test', 'bench', 'first_call.py'), path,
                                *[str(c[n]) for n in ('B', 'T', 'H', 'D', 'N')]], capture_output=True, text=True, env=os.environ)
            firsts.append(json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else dict(torch_s=math.nan, ssec_s=math.nan, err=r.stderr[-400:]))
        print(f'[{cfg}] ssec extension: cold build {cold:.1f} s; cached, fresh process: ' +
              ', '.join(f"torch {f['torch_s']} s + ssec {f['ssec_s']} s" for f in firsts), flush=True)
        for f in firsts:
            if 'err' in f:
                print(f['err'], flush=True)
        if use_fla:
            import fla_sse_bench as peer
            xs = peer.make(c['B'], c['T'], c['H'], c['D'], c['N'], dev)
            if float(os.environ.get('ETA_MARGIN', '0')) != 0:
                xs[7] = with_margin(xs[7], c['K'], float(os.environ['ETA_MARGIN']))
        else:
            g = torch.Generator(device=dev).manual_seed(0)
            r = lambda *s: torch.randn(*s, device=dev, generator=g)
            dt = torch.bfloat16
            xs = [F.silu(r(c['B'], c['T'], c['H'], c['D'])).to(dt), F.silu(r(c['B'], c['T'], c['H'], c['D'])).to(dt),
                  F.softmax(r(c['B'], c['T'], c['H'], c['D']), -1).to(dt), F.softmax(r(c['B'], c['T'], c['H'], c['D']), -1).to(dt),
                  F.silu(r(c['B'], c['T'], c['H'], c['D'])).to(dt),
                  (F.logsigmoid(r(c['B'], c['T'], c['H'], c['D'])) / 16).to(dt), (F.logsigmoid(r(c['B'], c['T'], c['H'], c['D'])) / 16).to(dt),
                  r(c['B'], c['T'], c['N']).to(dt)]
            xs = [x.requires_grad_(True) for x in xs]
        q1, q2, k1, k2, v, g1, g2, eta = xs
        do = torch.randn(c['B'], c['T'], c['H'], c['D'], device=dev, dtype=torch.bfloat16)
        for impl in impls:
            f = lambda: m.sse_attention(q1, k1, v, g1, eta, q2, k2, g2, impl=impl)[0]
            t0 = time.time()
            o = f()
            torch.cuda.synchronize()
            first = time.time() - t0

            def fb():
                for x in xs:
                    x.grad = None
                f().backward(do)

            fb()
            grads = [x.grad.clone() for x in xs]

            def fi():  # inference: no gradient wanted, so ssec runs its inference forward
                with torch.no_grad():
                    return f()

            tf, tfb, tfi = bench(f), bench(fb), bench(fi)
            kernels, kernels_nograd = {}, {}
            if os.environ.get('PROFILE') == '1':
                from torch.profiler import ProfilerActivity, profile

                def device_ms(run, table=False):  # ssec's kernels <id>_<impl>_<stage>: device time of one run(), ms
                    with profile(activities=[ProfilerActivity.CUDA]) as prof:
                        run()
                        torch.cuda.synchronize()
                    avg = prof.key_averages()
                    if table:
                        print(avg.table(sort_by='cuda_time_total', row_limit=14, max_name_column_width=60), flush=True)
                    return {e.key.split(f'_{impl}_', 1)[-1]: round((getattr(e, 'device_time_total', None) or getattr(e, 'cuda_time_total', 0.0)) / 1000, 4)
                            for e in avg if e.key.startswith('ssec_')}

                kernels, kernels_nograd = device_ms(fb, table=True), device_ms(fi)  # one fwd+bwd, one inference forward
            row = dict(cfg=cfg, impl=impl, who='ssec', fwd_ms=round(tf, 3), fwdbwd_ms=round(tfb, 3), fwd_nograd_ms=round(tfi, 3),
                       first_call_s=round(first + cold, 1))
            if kernels:
                row['kernels_ms'] = kernels
                row['kernels_nograd_ms'] = kernels_nograd
            if use_fla:
                ff = (lambda: peer.sse_mask(*xs, c['K'], c['K'])) if impl == 'mask' else (lambda: peer.sse_varlen(*xs, c['K']))
                t0 = time.time()
                of = ff()
                torch.cuda.synchronize()
                ffirst = time.time() - t0

                def ffb():
                    for x in xs:
                        x.grad = None
                    ff().backward(do)

                ffb()
                fgrads = [x.grad.clone() for x in xs]
                row['rel_o_vs_fla'] = round(rel(o, of), 5)
                row['rel_grads_vs_fla'] = {n: round(rel(a, b), 5) for n, a, b in zip(['q', 'qr', 'k', 'kr', 'v', 'g', 'gr', 'e'], grads, fgrads)}
                if impl == 'mask':  # the same, over the tokens whose top-k does not depend on rounding the probabilities
                    same = routed_alike(eta, c['K'])
                    row['tokens_routed_differently'] = int((~same).sum().item())
                    row['rel_grads_vs_fla_same_routing'] = {n: round(rel(a[same], b[same]), 5) for n, a, b in zip(['q', 'qr', 'k', 'kr', 'v', 'g', 'gr', 'e'], grads, fgrads)}
                if one_config:
                    row['fla_one_config'] = True
                else:
                    def ffi():
                        with torch.no_grad():
                            return ff()

                    ftf, ftfb, ftfi = bench(ff), bench(ffb), bench(ffi)
                    rows.append(dict(cfg=cfg, impl=impl, who='fla', fwd_ms=round(ftf, 3), fwdbwd_ms=round(ftfb, 3), fwd_nograd_ms=round(ftfi, 3),
                                     first_call_s=round(ffirst, 1)))
                    print(json.dumps(rows[-1]), flush=True)
            rows.append(row)
            print(json.dumps(row), flush=True)
        del xs, do
        torch.cuda.empty_cache()
    out = os.environ.get('OUT')
    if out:
        json.dump(rows, open(os.path.join(out, 'cuda_vs_fla.json'), 'w'), indent=1)
    print('\ncfg impl    who   fwd_ms  fwdbwd_ms  nograd_ms  first_s')
    for r in rows:
        print(f"{r['cfg']:3} {r['impl']:7} {r['who']:5} {r['fwd_ms']:7} {r['fwdbwd_ms']:9} {r.get('fwd_nograd_ms', ''):10} {r['first_call_s']:8}")


if __name__ == '__main__':
    main()
