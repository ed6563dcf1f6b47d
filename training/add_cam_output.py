#!/usr/bin/python3
"""Give a trained DR grader its class-activation output without retraining it.

The referable-DR head sees [mean(f), max(f)] of the last feature map f (C channels). Its class activation map (Zhou et
al. 2016) is sum_c (w_mean[c] + w_max[c]) * f[c, y, x]: exactly what train_dr_grader.py's DrGrader.cam computes, added
here to the exported graph as a 1x1 convolution on f, so the weights, and every score, stay those of the source model.

    /usr/bin/python3 training/add_cam_output.py models/dr-grader/dr-grader-0.1.0.json --version 0.2.0
"""
import argparse
import copy
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

CAM_OUTPUT = "referable_dr_cam"


def add_cam(model):
    graph = model.graph
    pool = next(n for n in graph.node if n.op_type == "ReduceMean")
    fmap = pool.input[0]
    head = next(n for n in graph.node if n.op_type == "Gemm" and n.input[1] == "referable_dr.weight")
    weights = next(i for i in graph.initializer if i.name == head.input[1])
    w = numpy_helper.to_array(weights).astype(np.float32)[0]
    channels = w.shape[0] // 2
    kernel = (w[:channels] + w[channels:]).reshape(1, channels, 1, 1)
    graph.initializer.append(numpy_helper.from_array(kernel, "referable_dr_cam.weight"))
    graph.node.append(helper.make_node("Conv", [fmap, "referable_dr_cam.weight"], [CAM_OUTPUT], name="referable_dr_cam", kernel_shape=[1, 1]))
    inferred = shape_inference.infer_shapes(model)
    cam_shape = next(v for v in inferred.graph.value_info if v.name == CAM_OUTPUT) if any(v.name == CAM_OUTPUT for v in inferred.graph.value_info) else None
    size = cam_shape.type.tensor_type.shape.dim[-1].dim_value if cam_shape else 0
    output = helper.make_tensor_value_info(CAM_OUTPUT, onnx.TensorProto.FLOAT, ["N", 1, size, size])
    graph.output.append(output)
    onnx.checker.check_model(model)
    return size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("card", help="the source model's card")
    ap.add_argument("--version", required=True)
    args = ap.parse_args()

    folder = os.path.dirname(os.path.abspath(args.card))
    card = json.load(open(args.card))
    model = onnx.load(os.path.join(folder, card["file"]))
    size = add_cam(model)
    name = f"{card['name']}-{args.version}"
    path = os.path.join(folder, name + ".onnx")
    onnx.save(model, path)
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()

    new = copy.deepcopy(card)
    new.update({"version": args.version, "file": name + ".onnx", "sha256": sha})
    new["outputs"] = [o for o in card["outputs"] if o["name"] != CAM_OUTPUT] + [{
        "name": CAM_OUTPUT, "shape": [-1, 1, size, size],
        "description": "Class activation map of referable DR: per location of the last feature map, its features weighted by the "
                       "referable-DR head (mean- and max-pooled weights summed); unnormalised logit contributions over the "
                       "256x256 input crop. RetinaScreen renders it as a PNG heatmap overlay."}]
    new["training"] = dict(card.get("training", {}), derivedFrom={
        "model": f"{card['name']} {card['version']}", "sha256": card["sha256"],
        "script": "training/add_cam_output.py",
        "note": "Same weights and scores as the source (metrics unchanged); only the CAM output was added. "
                "training/train_dr_grader.py exports this output itself on a fresh training."})
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump(new, f, indent=2)
        f.write("\n")
    print(f"wrote {path} (sha256 {sha}), CAM {size}x{size}")


if __name__ == "__main__":
    main()
