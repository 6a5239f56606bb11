"""Runs the generated PyTorch binding's Python side against a stand-in `torch` (no PyTorch, no GPU):
argument validation of sse_attention and the build stamp of load_extension. Used by binding.test.ts.

    python3 binding_harness.py <binding _torch.py> <case json>

Prints one JSON line per check: {"name", "ok" | "error": "<Type>: <message>"}.
"""
import importlib.util
import json
import os
import sys
import types


class Tensor:
    def __init__(self, shape, dtype, device="cuda:0"):
        self.shape, self.dtype, self.device = tuple(shape), dtype, device
        self.is_cuda = str(device).startswith("cuda")
        self.requires_grad = True

    def dim(self):
        return len(self.shape)

    def numel(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def to(self, device=None, dtype=None):
        return Tensor(self.shape, dtype or self.dtype, device or self.device)

    def contiguous(self):
        return self


builds = []
grad = {"enabled": True}  # torch.is_grad_enabled()
paths = []  # forward paths taken: "autograd" (SSEFunction) or "inference" (_forward with inference=True)
flags = []  # extra_cuda_cflags of each build


def fake_torch():
    torch = types.ModuleType("torch")
    torch.__version__, torch.version = "0-stand-in", types.SimpleNamespace(cuda="0")
    torch.bfloat16, torch.float16, torch.float32, torch.int32 = "bfloat16", "float16", "float32", "int32"

    class Function:
        @classmethod
        def apply(cls, impl, cu, *inputs):
            paths.append("autograd")
            return Tensor(inputs[0].shape, inputs[0].dtype), None

    torch.autograd = types.SimpleNamespace(Function=Function)
    torch.is_grad_enabled = lambda: grad["enabled"]
    torch.cuda = types.SimpleNamespace(is_available=lambda: True, get_device_capability=lambda: (9, 0))  # an H100
    torch.zeros = lambda shape, dtype=None, device=None: Tensor(shape, dtype, device)
    ext = types.ModuleType("torch.utils.cpp_extension")

    def load(name, build_directory, **kw):
        builds.append(name)
        flags.append(kw.get("extra_cuda_cflags", []))
        return types.SimpleNamespace(name=name)

    ext.load = load
    torch.utils = types.SimpleNamespace(cpp_extension=ext)
    sys.modules.update({"torch": torch, "torch.utils": torch.utils, "torch.utils.cpp_extension": ext})
    return torch


def main():
    path, case = sys.argv[1], json.loads(sys.argv[2])
    torch = fake_torch()
    spec = importlib.util.spec_from_file_location("binding", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}

    def inference_forward(impl, cu, d, inference):
        paths.append("inference" if inference else "forward")
        return Tensor(d["q"].shape, d["q"].dtype), None, None, None

    m._forward = inference_forward
    for check in case["calls"]:
        args = {k: (Tensor(v["shape"], dt[v.get("dtype", case["dtype"])], v.get("device", "cuda:0")) if v is not None else None)
                for k, v in check["args"].items()}
        cu = args.pop("cu_seqlens", None)
        try:
            m.sse_attention(**args, cu_seqlens=cu, impl=check.get("impl", m.IMPLS[0]))
            print(json.dumps({"name": check["name"], "ok": True}))
        except Exception as e:  # the message is what the test checks
            print(json.dumps({"name": check["name"], "error": f"{type(e).__name__}: {e}"}))
        # The path of a valid call: the autograd Function when a gradient can flow, else the inference forward
        # (under torch.no_grad, whose Function.forward would still see needs_input_grad True, or with no input
        # requiring grad).
        if check["name"] == "valid":
            for name, enabled, requires in [("path: grad wanted", True, True), ("path: torch.no_grad", False, True), ("path: nothing requires grad", True, False)]:
                grad["enabled"] = enabled
                for t in args.values():
                    if t is not None:
                        t.requires_grad = requires
                paths.clear()
                m.sse_attention(**args, cu_seqlens=cu, impl=m.IMPLS[0])
                print(json.dumps({"name": name, "error": ",".join(paths)}))
            grad["enabled"] = True
    # Build stamp: first load builds and stamps; an unchanged source with no importable module rebuilds
    # (the stamp alone is not enough); a changed source rebuilds.
    build = os.environ["SSEC_TORCH_BUILD"]
    m.load_extension()
    stamp = os.path.join(build, m.IDENTITY + ".ssec-stamp")
    print(json.dumps({"name": "stamp written", "ok": os.path.exists(stamp) and len(builds) == 1}))
    # On a compute-capability 9.0 GPU without TORCH_CUDA_ARCH_LIST the build targets sm_90a (the wgmma kernels).
    print(json.dumps({"name": "sm_90a on a 9.0 GPU", "ok": "-gencode=arch=compute_90a,code=sm_90a" in flags[0] and "-DSSEC_SM90A" in flags[0]}))
    m._ext = None
    m.load_extension()
    print(json.dumps({"name": "no module: rebuild", "ok": len(builds) == 2}))
    with open(os.path.join(build, m.IDENTITY + ".so"), "w") as fh:
        fh.write("not a module")
    m._ext = None
    m.load_extension()
    print(json.dumps({"name": "unloadable module: rebuild", "ok": len(builds) == 3}))
    key = open(stamp).read().strip()
    with open(os.path.join(os.path.dirname(path), m.IDENTITY + ".cu"), "a") as fh:
        fh.write("// edited\n")
    print(json.dumps({"name": "edited source: new key", "ok": m._build_key() != key}))


if __name__ == "__main__":
    main()
