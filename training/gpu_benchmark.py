#!/usr/bin/python3
"""Time the DR grader's network on a GPU (PyTorch, CUDA) and its shipped ONNX file on the same machine's CPU
(onnxruntime), at batch 1, 8 and 32.

Why this script and not the C# benchmark: the lent GPU machine has PyTorch and CUDA but no .NET and cannot fetch
packages, and ONNX Runtime's CUDA libraries are far larger than what can be carried there. So this measures the
model's own cost on CUDA (same architecture as the shipped model; weights do not change the timing) — the floor the
C# pipeline's CUDA path would build on — and states the device. Output: one JSON object.
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from train_dr_grader import DrGrader, INPUT_SIZE  # noqa: E402

BATCHES = (1, 8, 32)


def percentile(values, p):
    return float(np.percentile(np.asarray(values), p))


def time_torch(model, batch, device, dtype, iterations=200, warmup=30):
    x = torch.rand(batch, 3, INPUT_SIZE, INPUT_SIZE, device=device, dtype=dtype)
    latencies = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        for _ in range(iterations):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            end.synchronize()
            latencies.append(start.elapsed_time(end))
    p50 = percentile(latencies, 50)
    return {"batch": batch, "p50_ms": p50, "p99_ms": percentile(latencies, 99), "images_per_s": batch * 1000.0 / p50}


def time_onnx_cpu(path, batch, iterations=50, warmup=5):
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.random.rand(batch, 3, INPUT_SIZE, INPUT_SIZE).astype(np.float32)
    for _ in range(warmup):
        session.run(None, {name: x})
    latencies = []
    for _ in range(iterations):
        t = time.perf_counter()
        session.run(None, {name: x})
        latencies.append((time.perf_counter() - t) * 1000)
    p50 = percentile(latencies, 50)
    return {"batch": batch, "p50_ms": p50, "p99_ms": percentile(latencies, 99), "images_per_s": batch * 1000.0 / p50,
            "onnxruntime": ort.__version__, "cpu_threads": os.cpu_count()}


def main():
    onnx_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "models", "dr-grader", "dr-grader-0.2.0.onnx")
    result = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available()}
    if torch.cuda.is_available():
        device = torch.device("cuda")
        result["device"] = torch.cuda.get_device_name(0)
        model = DrGrader().to(device).eval()
        result["cuda_fp32"] = [time_torch(model, b, device, torch.float32) for b in BATCHES]
        half = DrGrader().to(device).eval().half()
        result["cuda_fp16"] = [time_torch(half, b, device, torch.float16) for b in BATCHES]
    result["onnx_cpu"] = [time_onnx_cpu(onnx_path, b) for b in BATCHES]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
