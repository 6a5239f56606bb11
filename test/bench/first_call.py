"""Time to first result of a built ssec PyTorch binding in a fresh process (benchmark, not a test).

    python3 test/bench/first_call.py <binding _torch.py> B T H D N [impl]

Prints one JSON line: `torch_s` (import torch, CUDA context, the caller's input tensors: what a training
script pays before it calls any kernel) and `ssec_s` (import the binding, load the extension — built or
cached — and the first forward call until its output is ready). Shapes are an fla-style SSE-GLA call
with shared and routed q/k/g (the bench specs of test/bench/render_bench.ts).
"""
import importlib.util
import json
import sys
import time

t0 = time.perf_counter()
import torch  # noqa: E402

path, B, T, H, D, N = sys.argv[1], *map(int, sys.argv[2:7])
impl = sys.argv[7] if len(sys.argv) > 7 else 'mask'
x = lambda: torch.randn(B, T, H, D, device='cuda', dtype=torch.bfloat16)
q1, k1, v, q2, k2 = x(), x(), x(), x(), x()
g1, g2 = (torch.nn.functional.logsigmoid(x().float()) / 16).bfloat16(), (torch.nn.functional.logsigmoid(x().float()) / 16).bfloat16()
e = torch.randn(B, T, N, device='cuda', dtype=torch.bfloat16)
torch.cuda.synchronize()
t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location('ssec_first_call', path)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
o, _ = m.sse_attention(q1, k1, v, g1, e, q2, k2, g2, impl=impl)
torch.cuda.synchronize()
t2 = time.perf_counter()
assert torch.isfinite(o.float()).all().item(), 'first call produced non-finite output'
print(json.dumps(dict(torch_s=round(t1 - t0, 3), ssec_s=round(t2 - t1, 3))))
