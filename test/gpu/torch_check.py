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

# Under torch.no_grad the binding runs the inference forward, though its inputs require grad: the driver's
# <name>.inference.out.bin, bit for bit.
with torch.no_grad():
    oi, hti = m.sse_attention(**args, cu_seqlens=cu, initial_state=inputs.get("h0"), output_final_state=m.HAS_FINAL_STATE, impl=impl)
inf = {"o": oi, **({"ht": hti} if m.HAS_FINAL_STATE else {})}
worst_inf = max((t.float() - load(n, ".inference.out.bin").float()).abs().max().item() for n, t in inf.items())
print(f"TORCH_BINDING_INFERENCE {'PASS' if worst_inf == 0.0 else 'FAIL'} worst {worst_inf:.3e} ({impl})")

# Input checks against real PyTorch: each bad call must raise before any launch, naming the tensor.
good = {n: args[n].detach() for n in args if args[n] is not None}
h0 = inputs["h0"].detach() if "h0" in inputs else None


def call(impl_=impl, h0_=h0, **over):
    return m.sse_attention(**{**good, **over}, cu_seqlens=cu, initial_state=h0_, output_final_state=m.HAS_FINAL_STATE, impl=impl_)


bad = [
    ("k float64", dict(k=good["k"].double()), TypeError, "k must be"),
    ("v last dim + 1", dict(v=torch.cat([good["v"], good["v"][..., :1]], -1)), ValueError, "v must have shape"),
    ("q 3-d", dict(q=good["q"].flatten(-2)), ValueError, "q must be a 4-d tensor"),
    ("all on cpu", {n: t.cpu() for n, t in good.items()}, ValueError, "q is on cpu"),
    ("v on cpu", dict(v=good["v"].cpu()), ValueError, "v is on cpu, q on cuda"),
    ("impl", dict(impl_="dense"), ValueError, "impl must be one of"),
]
if h0 is not None:
    bad.append(("h0 in the input dtype", dict(h0_=h0.to(m.DTYPE) if m.DTYPE != torch.float32 else h0.double()), TypeError, "h0 must be"))
checks_ok = 0
for name, over, exc, text in bad:
    try:
        call(**over)
        print(f"  check {name}: no error")
    except exc as err:
        if text in str(err):
            checks_ok += 1
        else:
            print(f"  check {name}: {type(err).__name__}: {err}")
    except Exception as err:  # noqa: BLE001 — any other exception is a failed check
        print(f"  check {name}: {type(err).__name__}: {err}")
# A strided (non-contiguous) view of the same values must give the same output as the contiguous call (both
# inference forwards: no input requires grad).
vs = good["v"].transpose(0, -1).contiguous().transpose(0, -1)
o2, _ = call(v=vs)
same = vs.is_contiguous() is False and (o2.float() - call()[0].float()).abs().max().item() == 0.0
checks_ok += same
if not same:
    print("  check strided v: output differs from the contiguous call")
n_checks = len(bad) + 1
print(f"TORCH_BINDING checks {'PASS' if checks_ok == n_checks else 'FAIL'} {checks_ok}/{n_checks} ({impl})")
