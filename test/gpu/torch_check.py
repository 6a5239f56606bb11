"""PyTorch binding check (GPU host): the generated autograd.Function must give the driver's outputs and
gradients on the same inputs (same kernels, deterministic: expected bit-identical).

    python3 test/gpu/torch_check.py <run dir written with SSEC_CUDA_KEEP>
"""
import glob
import importlib.util
import json
import os
import sys
import time

import torch

run_dir = sys.argv[1]
meta = json.load(open(os.path.join(run_dir, "meta.json")))
gen_dir, impl = meta["dir"], meta["impl"]
path = glob.glob(os.path.join(gen_dir, "*_torch.py"))[0]
spec = importlib.util.spec_from_file_location("ssec_binding", path)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
os.environ.setdefault("SSEC_TORCH_BUILD", os.path.join("/tmp", "ssec_torch_build", m.IDENTITY))
t0 = time.time()
m.load_extension()
print(f"torch extension {m.IDENTITY}: built/loaded in {time.time() - t0:.1f} s")


def load(name, suffix=".bin"):
    info = meta["tensors"][name]
    dt = torch.float32 if info["f32"] else m.DTYPE
    raw = open(os.path.join(run_dir, name + suffix), "rb").read()
    return torch.frombuffer(bytearray(raw), dtype=dt).reshape(info["shape"]).cuda()


inputs = {n: load(n).requires_grad_(True) for n in m.INPUTS}
cu = torch.tensor(meta["cu_seqlens"], dtype=torch.int32, device="cuda") if meta["cu_seqlens"] else None
args = {n: inputs.get(n) for n in ("q", "k", "v", "g", "e", "qr", "kr", "gr")}
o, ht = m.sse_attention(**args, cu_seqlens=cu, initial_state=inputs.get("h0"), output_final_state=m.HAS_FINAL_STATE, impl=impl)
outs, cots = [o], [load("do")]
if m.HAS_FINAL_STATE:
    outs.append(ht)
    cots.append(load("dht"))
torch.autograd.backward(outs, cots)
got = {"o": o, **({"ht": ht} if m.HAS_FINAL_STATE else {})}
for n in m.INPUTS:
    got["d" + n] = inputs[n].grad
worst = 0.0
for name, t in got.items():
    ref = load(name, ".out.bin")
    d = (t.detach().float() - ref.float()).abs().max().item()
    worst = max(worst, d)
    print(f"  {name:5s} max |torch - driver| = {d:.3e}")
print(f"TORCH_BINDING {'PASS' if worst == 0.0 else ('CLOSE' if worst < 1e-6 else 'FAIL')} worst {worst:.3e} ({impl})")
