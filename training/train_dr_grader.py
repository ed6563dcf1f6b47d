#!/usr/bin/python3
"""Train the reference DR grader (dr-grader 0.2.0) on synthetic fundus photographs and export it to ONNX.

Data: 256x256 field crops written by training/SynthExport (the C# FundusSynthesizer rendered at 768 px, then
cropped by RetinaScreen.Inference's own FundusPreprocessor, so training sees exactly what inference sees).
Reproducible: fixed seeds, deterministic CPU kernels, 2 threads. See training/README.md.
"""
import argparse
import csv
import hashlib
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

SEED = 20160701
INPUT_SIZE = 256
VERSION = "0.2.0"


def load_split(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "labels.csv"))))
    rows = [r for r in rows if r["gradable"] == "1"]
    images = np.empty((len(rows), INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
    for i, r in enumerate(rows):
        images[i] = np.asarray(Image.open(os.path.join(folder, r["file"])).convert("RGB"))
    grade = np.array([int(r["grade"]) for r in rows], dtype=np.int64)
    rdr = np.array([int(r["referable_dr"]) for r in rows], dtype=np.float32)
    dme = np.array([int(r["dme"]) for r in rows], dtype=np.float32)
    seeds = [int(r["seed"]) for r in rows]
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(grade), torch.from_numpy(rdr), torch.from_numpy(dme), seeds


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DrGrader(nn.Module):
    """A small CNN: a 4x4 patch stem (keeps one-pixel lesions, costs little), four stride-2 stages (a 4x4 map at 256 px),
    then average- and max-pooled features (max pooling keeps the signal of a few small lesions)."""

    def __init__(self):
        super().__init__()
        widths = [32, 48, 64, 96, 128]
        strides = [2, 2, 2, 2]
        layers = [nn.Conv2d(3, widths[0], 4, 4, 0, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True),
                  conv_bn(widths[0], widths[0], 1)]
        for cin, cout, stride in zip(widths, widths[1:], strides):
            layers += [conv_bn(cin, cout, stride), conv_bn(cout, cout, 1)]
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.grade = nn.Linear(2 * widths[-1], 5)
        self.referable_dr = nn.Linear(2 * widths[-1], 1)
        self.referable_dme = nn.Linear(2 * widths[-1], 1)

    def logits(self, x):
        fmap = self.features(x)
        f = torch.cat([fmap.mean(dim=(2, 3)), fmap.amax(dim=(2, 3))], dim=1)
        f = self.dropout(f)
        return self.grade(f), self.referable_dr(f), self.referable_dme(f), fmap

    def cam(self, fmap):
        """Class activation map of referable DR (Zhou et al. 2016): each location's features weighted by the referable-DR
        head. The head sees average- and max-pooled features; the average half decomposes exactly over locations, the
        max half is applied per location as well, so the map shows where the evidence for referral lies."""
        c = fmap.shape[1]
        w = self.referable_dr.weight[0, :c] + self.referable_dr.weight[0, c:]
        return torch.einsum("nchw,c->nhw", fmap, w).unsqueeze(1)

    def forward(self, image):
        g, r, d, fmap = self.logits(image)
        return F.softmax(g, dim=1), torch.sigmoid(r), torch.sigmoid(d), self.cam(fmap)


def to_input(batch_u8, mean, std):
    x = batch_u8.float() / 255.0
    return (x - mean) / std


def auc(scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks for ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def quadratic_kappa(truth, pred, k=5):
    o = np.zeros((k, k))
    for t, p in zip(truth, pred):
        o[t, p] += 1
    w = np.array([[(i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)])
    e = np.outer(o.sum(1), o.sum(0)) / o.sum()
    return float(1 - (w * o).sum() / (w * e).sum())


def sens_spec(scores, labels, threshold):
    scores = np.asarray(scores)
    labels = np.asarray(labels).astype(bool)
    pred = scores >= threshold
    return float((pred & labels).sum() / max(1, labels.sum())), float((~pred & ~labels).sum() / max(1, (~labels).sum()))


def operating_point(scores, labels, min_specificity=0.9):
    """Sensitivity first: among thresholds keeping validation specificity >= min_specificity, the one with the highest
    sensitivity, ties broken by specificity; placed halfway to the next lower score so it does not sit on a sample."""
    scores = np.asarray(scores, dtype=np.float64)
    unique = np.unique(scores)
    best, best_key = 0.0, (-1.0, -1.0)
    for k, t in enumerate(unique):
        sens, spec = sens_spec(scores, labels, t)
        if spec >= min_specificity and (sens, spec) > best_key:
            best_key = (sens, spec)
            best = (t + unique[k - 1]) / 2 if k > 0 else t
    return float(best)


def predict(model, images, mean, std, batch=128):
    model.eval()
    out = [[], [], []]
    with torch.no_grad():
        for i in range(0, len(images), batch):
            g, r, d, _ = model(to_input(images[i:i + batch], mean, std))
            out[0].append(g)
            out[1].append(r[:, 0])
            out[2].append(d[:, 0])
    return [torch.cat(o).numpy() for o in out]


def evaluate(model, split, mean, std, thresholds=None):
    images, grade, rdr, dme, _ = split
    g, r, d = predict(model, images, mean, std)
    m = {
        "images": int(len(grade)),
        "referableDrPrevalence": round(float(rdr.mean()), 4),
        "referableDrAuc": round(auc(r, rdr.numpy()), 4),
        "referableDmeAuc": round(auc(d, dme.numpy()), 4),
        "gradeQuadraticKappa": round(quadratic_kappa(grade.numpy(), g.argmax(1)), 4),
        "gradeAccuracy": round(float((g.argmax(1) == grade.numpy()).mean()), 4),
    }
    if thresholds:
        m["referableDrSensitivity"], m["referableDrSpecificity"] = [round(v, 4) for v in sens_spec(r, rdr.numpy(), thresholds[0])]
        m["referableDmeSensitivity"], m["referableDmeSpecificity"] = [round(v, 4) for v in sens_spec(d, dme.numpy(), thresholds[1])]
    return m, (g, r, d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/drdata", help="folder with train/, val/, test/ from SynthExport")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models", "dr-grader"))
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop each epoch after this many batches (smoke test); 0: all")
    ap.add_argument("--version", default=VERSION)
    args = ap.parse_args()

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    started = time.time()
    train, val = (load_split(os.path.join(args.data, s)) for s in ("train", "val"))
    print(f"loaded train {len(train[1])} val {len(val[1])} in {time.time() - started:.0f}s", flush=True)

    # Per-channel statistics of the training crops (0..1 scale), stored in the model card for the C# preprocessor.
    x = train[0].float() / 255.0
    mean = x.mean(dim=(0, 2, 3)).tolist()
    std = x.std(dim=(0, 2, 3)).tolist()
    del x
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)

    model = DrGrader()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    per_epoch = (len(train[1]) + args.batch - 1) // args.batch
    if args.max_steps > 0:
        per_epoch = min(per_epoch, args.max_steps)
    steps = args.epochs * per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    gen = torch.Generator().manual_seed(SEED)
    images, grade, rdr, dme, _ = train
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(grade), generator=gen)
        total = 0.0
        for i in range(0, per_epoch * args.batch, args.batch):
            idx = perm[i:i + args.batch]
            xb = images[idx]
            # Flips: left/right swaps laterality, up/down mirrors the arcades; DR signs are unchanged.
            if torch.rand(1, generator=gen).item() < 0.5:
                xb = xb.flip(3)
            if torch.rand(1, generator=gen).item() < 0.5:
                xb = xb.flip(2)
            xb = to_input(xb, mean_t, std_t)
            # Brightness/contrast jitter on top of the synthesiser's camera variation.
            xb = xb * (1 + 0.1 * (torch.rand(len(idx), 1, 1, 1, generator=gen) - 0.5)) + 0.1 * (torch.rand(len(idx), 3, 1, 1, generator=gen) - 0.5)
            g, r, d, _ = model.logits(xb)
            loss = F.cross_entropy(g, grade[idx]) + F.binary_cross_entropy_with_logits(r[:, 0], rdr[idx]) + F.binary_cross_entropy_with_logits(d[:, 0], dme[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        vm, _ = evaluate(model, val, mean_t, std_t)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(grade):.4f} val {vm} {time.time() - started:.0f}s", flush=True)

    _, (vg, vr, vd) = evaluate(model, val, mean_t, std_t)
    dr_threshold = operating_point(vr, val[2].numpy())
    dme_threshold = operating_point(vd, val[3].numpy())
    val_metrics, _ = evaluate(model, val, mean_t, std_t, (dr_threshold, dme_threshold))
    # The held-out split is read only now, after every training and threshold decision is made.
    test = load_split(os.path.join(args.data, "test"))
    test_metrics, _ = evaluate(model, test, mean_t, std_t, (dr_threshold, dme_threshold))
    print("validation", val_metrics)
    print("held-out test", test_metrics)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, f"dr-grader-{args.version}.onnx")
    model.eval()
    # The exported graph takes the normalised tensor; normalisation stays in the C# preprocessor (see the card).
    torch.onnx.export(model, torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE), onnx_path, opset_version=13,
                      input_names=["image"], output_names=["grade_probs", "referable_dr", "referable_dme", "referable_dr_cam"],
                      dynamic_axes={"image": {0: "N"}, "grade_probs": {0: "N"}, "referable_dr": {0: "N"}, "referable_dme": {0: "N"},
                                    "referable_dr_cam": {0: "N"}},
                      do_constant_folding=True)
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    with torch.no_grad():
        cam_size = int(model(torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE))[3].shape[-1])

    card = {
        "name": "dr-grader",
        "version": args.version,
        "file": f"dr-grader-{args.version}.onnx",
        "sha256": sha,
        "notForClinicalUse": True,
        "intendedUse": "Reference model for RetinaScreen development: grades diabetic retinopathy (ICDR 0-4), referable DR "
                       "(grade >= 2 or DME) and referable DME on macula-centred colour fundus photographs that passed the "
                       "gradability check. NOT FOR CLINICAL USE: trained and evaluated only on synthetic images.",
        "trainingData": {
            "description": "Synthetic fundus photographs from RetinaScreen.Cli.Synthesis.FundusSynthesizer (768 px, gradable only, "
                           "grade weights 0.35/0.15/0.2/0.15/0.15), exported by training/SynthExport as 256 px field crops.",
            "trainSeeds": f"{min(train[4])}-{max(train[4])}",
            "validationSeeds": f"{min(val[4])}-{max(val[4])}",
            "testSeeds": f"{min(test[4])}-{max(test[4])}",
            "trainImages": int(len(train[1])),
            "validationImages": int(len(val[1])),
            "testImages": int(len(test[1])),
        },
        "input": {
            "name": "image",
            "type": "float32",
            "shape": [-1, 3, INPUT_SIZE, INPUT_SIZE],
            "channelOrder": "RGB",
            "preprocessing": "Field bounding box (any channel > 20), square crop centred on it (black padding), area-aware "
                             "bilinear resample to 256x256 (RetinaScreen.Inference.Grading.FundusPreprocessor.Crop), then "
                             "value/255, minus mean, divided by std, per channel, planar CHW.",
            "mean": [round(v, 6) for v in mean],
            "std": [round(v, 6) for v in std],
        },
        "outputs": [
            {"name": "grade_probs", "shape": [-1, 5], "description": "Softmax over ICDR grades 0-4."},
            {"name": "referable_dr", "shape": [-1, 1], "description": "Sigmoid probability of referable DR (grade >= 2 or DME)."},
            {"name": "referable_dme", "shape": [-1, 1], "description": "Sigmoid probability of referable diabetic macular edema."},
            {"name": "referable_dr_cam", "shape": [-1, 1, cam_size, cam_size],
             "description": "Class activation map of referable DR (logit contribution per location, unnormalised) over the "
                            "256x256 input crop; RetinaScreen renders it as a heatmap overlay."},
        ],
        "operatingPoints": {
            "referableDr": {"threshold": round(dr_threshold, 6), "rule": "sensitivity first: highest validation sensitivity with specificity >= 0.90 (ties: higher specificity), midway to the next lower score",
                            "validationSensitivity": val_metrics["referableDrSensitivity"], "validationSpecificity": val_metrics["referableDrSpecificity"]},
            "referableDme": {"threshold": round(dme_threshold, 6), "rule": "sensitivity first: highest validation sensitivity with specificity >= 0.90 (ties: higher specificity), midway to the next lower score",
                             "validationSensitivity": val_metrics["referableDmeSensitivity"], "validationSpecificity": val_metrics["referableDmeSpecificity"]},
        },
        "metrics": {"validation": val_metrics, "heldOutTest": test_metrics},
        "training": {"script": "training/train_dr_grader.py", "seed": SEED, "epochs": args.epochs, "batchSize": args.batch,
                     "framework": f"torch {torch.__version__}", "onnxOpset": 13, "seconds": round(time.time() - started)},
    }
    with open(os.path.join(args.out, f"dr-grader-{args.version}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {sha}) in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
