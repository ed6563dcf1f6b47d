#!/usr/bin/python3
"""Train the reference lymph-node metastasis patch classifier (metastasis 0.1.0) on synthetic H&E and export it to ONNX.

Data (all written by `retinascreen synth pathology`, the C# SlideSynthesizer):
  DATA/train  64x64 PNG patches with labels.csv (file,label,...), cut from slides as their DICOM files store them;
  DATA/val    whole slides (--slides --png): slide-*.png as decoded from the DICOM file, *-mask.png, labels.csv;
  DATA/test   the same for the held-out seeds, read only after every training and threshold decision.
Slide scores use exactly the rule the card states (tissue patches on a 64-pixel grid, mean of the top k).
Reproducible: fixed seeds, deterministic CPU kernels, 2 threads. See training/README.md.
"""
import argparse
import csv
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

SEED = 20170301
PATCH = 64
VERSION = "0.1.0"
TOP_K = 8
GLASS_MINIMUM = 220          # a pixel is glass when each of R, G, B >= this
MIN_TISSUE_FRACTION = 0.5    # a patch is tissue when at least this fraction of its pixels is not glass
OPSET = 13
# How the shipped 0.1.0 data was made (recorded in the card); the script itself only reads DATA.
DATA_COMMANDS = [
    "dotnet build -c Release src/RetinaScreen.Cli",
    "retinascreen synth pathology --tiles --out /tmp/metdata/train --count 160 --seed 21000000 --patches-per-slide 96",
    "retinascreen synth pathology --slides --png --out /tmp/metdata/val --count 40 --seed 22000000",
    "retinascreen synth pathology --slides --png --out /tmp/metdata/test --count 60 --seed 23000000",
]
METRICS_DEFINITION = ("slide*: per slide, the slideAggregation score over the tissueDetection patches; patch*: the same "
                      "grid patches pooled over slides, label 1 when the central 32x32 is mostly tumour, 0 when the "
                      "patch holds no tumour, patches with some tumour but a non-tumour centre left out")
RULE = ("sensitivity first: highest validation sensitivity with specificity >= 0.90 (ties: higher specificity), "
        "midway to the next lower score")


def load_tiles(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "labels.csv"))))
    images = np.empty((len(rows), PATCH, PATCH, 3), dtype=np.uint8)
    for i, r in enumerate(rows):
        images[i] = np.asarray(Image.open(os.path.join(folder, r["file"])).convert("RGB"))
    labels = np.array([int(r["label"]) for r in rows], dtype=np.float32)
    seeds = sorted({int(r["slide_seed"]) for r in rows})
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels), seeds


def grid_patches(rgb, mask):
    """Every full 64x64 patch on the grid from (0, 0) with stride 64 that passes the tissue rule: patches (N,3,64,64)
    uint8, and each patch's label: 1 centre half mostly tumour, 0 no tumour at all, -1 ambiguous (some tumour, centre not)."""
    h, w, _ = rgb.shape
    rows, cols = h // PATCH, w // PATCH
    tiles = rgb[:rows * PATCH, :cols * PATCH].reshape(rows, PATCH, cols, PATCH, 3).transpose(0, 2, 1, 3, 4).reshape(-1, PATCH, PATCH, 3)
    m = mask[:rows * PATCH, :cols * PATCH].reshape(rows, PATCH, cols, PATCH).transpose(0, 2, 1, 3).reshape(-1, PATCH, PATCH)
    glass = (tiles >= GLASS_MINIMUM).all(axis=3)
    tissue = (1.0 - glass.mean(axis=(1, 2))) >= MIN_TISSUE_FRACTION
    q = PATCH // 4
    centre = m[:, q:PATCH - q, q:PATCH - q].mean(axis=(1, 2))
    label = np.where(centre >= 0.5, 1, np.where(m.any(axis=(1, 2)), -1, 0))
    return torch.from_numpy(np.ascontiguousarray(tiles[tissue])).permute(0, 3, 1, 2).contiguous(), label[tissue]


def load_slides(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "labels.csv"))))
    slides = []
    for r in rows:
        png = os.path.join(folder, r["file"][:-len(".dcm")] + ".png")
        rgb = np.asarray(Image.open(png).convert("RGB"))
        mask = np.asarray(Image.open(os.path.join(folder, r["mask"])).convert("L")) > 0
        patches, labels = grid_patches(rgb, mask)
        slides.append({"seed": int(r["seed"]), "tumour": int(r["has_tumour"]), "patches": patches, "labels": labels})
    return slides


def conv_bn(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class MetastasisNet(nn.Module):
    """Four 3x3 conv stages (16-32-64-64 channels, max-pooled to 8x8), average- and max-pooled features, one logit."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 16), nn.MaxPool2d(2), conv_bn(16, 32), nn.MaxPool2d(2),
                                      conv_bn(32, 64), nn.MaxPool2d(2), conv_bn(64, 64))
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(128, 1)

    def logit(self, x):
        f = self.features(x)
        return self.head(self.dropout(torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)))

    def forward(self, patch):
        return torch.sigmoid(self.logit(patch))


def to_input(batch_u8, mean, std):
    return (batch_u8.float() / 255.0 - mean) / std


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
    best, best_key = 0.5, (-1.0, -1.0)
    for k, t in enumerate(unique):
        sens, spec = sens_spec(scores, labels, t)
        if spec >= min_specificity and (sens, spec) > best_key:
            best_key = (sens, spec)
            best = (t + unique[k - 1]) / 2 if k > 0 else t
    return float(best)


def predict(model, images, mean, std, batch=256):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            out.append(model(to_input(images[i:i + batch], mean, std))[:, 0])
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def slide_score(probabilities):
    """The card's aggregation: mean of the k highest tissue-patch probabilities (all of them when fewer; 0 with none)."""
    if len(probabilities) == 0:
        return 0.0
    top = np.sort(probabilities)[::-1][:TOP_K]
    return float(top.mean())


def score_slides(model, slides, mean, std):
    """Slide scores, and the patch probabilities and labels of the unambiguous grid patches, pooled over slides."""
    scores, truth, patch_p, patch_y = [], [], [], []
    for s in slides:
        p = predict(model, s["patches"], mean, std)
        scores.append(slide_score(p))
        truth.append(s["tumour"])
        keep = s["labels"] >= 0
        patch_p.append(p[keep])
        patch_y.append(s["labels"][keep])
    return np.array(scores), np.array(truth), np.concatenate(patch_p), np.concatenate(patch_y)


def rounded(value):
    """Four decimals; an undefined value (an AUC without both classes, as in a smoke run) is null, never NaN in JSON."""
    return None if value != value else round(value, 4)


def metrics(scores, truth, patch_p, patch_y, slide_threshold, patch_threshold):
    slide_sens, slide_spec = sens_spec(scores, truth, slide_threshold)
    patch_sens, patch_spec = sens_spec(patch_p, patch_y, patch_threshold)
    return {
        "slides": int(len(truth)),
        "slidesWithTumour": int(truth.sum()),
        "slideAuc": rounded(auc(scores, truth)),
        "slideSensitivity": rounded(slide_sens),
        "slideSpecificity": rounded(slide_spec),
        "patches": int(len(patch_y)),
        "tumourPatches": int(patch_y.sum()),
        "patchAuc": rounded(auc(patch_p, patch_y)),
        "patchSensitivity": rounded(patch_sens),
        "patchSpecificity": rounded(patch_spec),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/metdata", help="folder with train/ (tiles), val/ and test/ (slides with --png)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "metastasis"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop each epoch after this many batches; 0: all")
    ap.add_argument("--smoke", action="store_true", help="CI smoke run: 1 epoch of at most 2 batches, then export")
    ap.add_argument("--version", default=VERSION)
    args = ap.parse_args()
    if args.smoke:
        args.epochs, args.max_steps = 1, 2

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    started = time.time()
    images, labels, train_seeds = load_tiles(os.path.join(args.data, "train"))
    val = load_slides(os.path.join(args.data, "val"))
    print(f"loaded {len(labels)} training patches ({int(labels.sum())} tumour) from {len(train_seeds)} slides, "
          f"{len(val)} validation slides in {time.time() - started:.0f}s", flush=True)

    # Per-channel statistics of the training patches (0..1 scale), stored in the card for the C# preprocessor.
    x = images.float() / 255.0
    mean = x.mean(dim=(0, 2, 3)).tolist()
    std = x.std(dim=(0, 2, 3)).tolist()
    del x
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)

    model = MetastasisNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    per_epoch = (len(labels) + args.batch - 1) // args.batch
    if args.max_steps > 0:
        per_epoch = min(per_epoch, args.max_steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * per_epoch, pct_start=0.2)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(labels), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, per_epoch * args.batch, args.batch):
            idx = perm[i:i + args.batch]
            if len(idx) == 0:
                break
            xb = images[idx]
            # Tissue has no up, down or handedness: any of the 8 dihedral views is the same patch.
            xb = torch.rot90(xb, int(torch.randint(4, (1,), generator=gen)), dims=(2, 3))
            if torch.rand(1, generator=gen).item() < 0.5:
                xb = xb.flip(3)
            xb = to_input(xb, mean_t, std_t)
            # Stain and brightness jitter beyond the synthesiser's own slide-to-slide variation.
            n = len(idx)
            xb = xb * (1 + 0.2 * (torch.rand(n, 3, 1, 1, generator=gen) - 0.5)) + 0.2 * (torch.rand(n, 3, 1, 1, generator=gen) - 0.5)
            loss = F.binary_cross_entropy_with_logits(model.logit(xb)[:, 0], labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * n
            seen += n
        vs, vt, vp, vy = score_slides(model, val, mean_t, std_t)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / max(1, seen):.4f} val slide AUC {auc(vs, vt):.4f} "
              f"patch AUC {auc(vp, vy):.4f} {time.time() - started:.0f}s", flush=True)

    vs, vt, vp, vy = score_slides(model, val, mean_t, std_t)
    slide_threshold = operating_point(vs, vt)
    patch_threshold = operating_point(vp, vy)
    val_metrics = metrics(vs, vt, vp, vy, slide_threshold, patch_threshold)
    # The held-out split is read only now, after every training and threshold decision is made.
    test = load_slides(os.path.join(args.data, "test"))
    test_metrics = metrics(*score_slides(model, test, mean_t, std_t), slide_threshold, patch_threshold)
    print("validation", val_metrics)
    print("held-out test", test_metrics)

    os.makedirs(args.out, exist_ok=True)
    name = f"metastasis-{args.version}"
    onnx_path = os.path.join(args.out, name + ".onnx")
    model.eval()
    # The exported graph takes the normalised tensor; normalisation stays in the C# preprocessor (see the card).
    torch.onnx.export(model, torch.zeros(1, 3, PATCH, PATCH), onnx_path, opset_version=OPSET,
                      input_names=["patch"], output_names=["metastasis"],
                      dynamic_axes={"patch": {0: "N"}, "metastasis": {0: "N"}}, do_constant_folding=True)
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    seconds = round(time.time() - started)

    def seed_range(seeds):
        return f"{min(seeds)}-{max(seeds)}" if seeds else ""

    card = {
        "name": "metastasis",
        "version": args.version,
        "file": name + ".onnx",
        "sha256": sha,
        "notForClinicalUse": True,
        "intendedUse": "Reference model for RetinaScreen development: scores 64x64 patches of H&E-stained lymph node "
                       "whole slide images (about 0.5 um per pixel, 20x) for metastatic carcinoma; patch scores are "
                       "aggregated into a slide score as slideAggregation states. NOT FOR CLINICAL USE: trained and "
                       "evaluated only on synthetic slides.",
        "trainingData": {
            "description": "Synthetic H&E lymph node sections from RetinaScreen.Cli.Synthesis.Pathology.SlideSynthesizer "
                           "(2048x2048 px, half with 1-4 tumour deposits of radius 40-260 px), written by "
                           "`retinascreen synth pathology`. Training: 64x64 patches cut at random offsets from the "
                           "slides as their JPEG (quality 90) DICOM frames decode, tissue patches only; label 1 when the "
                           "central 32x32 is mostly tumour, 0 when the patch holds no tumour, ambiguous patches left "
                           "out. Validation and test: whole slides, scored on the 64-px grid.",
            "trainSeeds": seed_range(train_seeds),
            "validationSeeds": seed_range([s["seed"] for s in val]),
            "testSeeds": seed_range([s["seed"] for s in test]),
            "trainSlides": len(train_seeds),
            "trainPatches": int(len(labels)),
            "trainTumourPatches": int(labels.sum()),
            "validationSlides": len(val),
            "testSlides": len(test),
        },
        "input": {
            "name": "patch",
            "type": "float32",
            "shape": [-1, 3, PATCH, PATCH],
            "channelOrder": "RGB",
            "preprocessing": "A 64x64 RGB patch of the slide's total pixel matrix (frames decoded as stored), value/255, "
                             "minus mean, divided by std, per channel, planar CHW.",
            "mean": [round(v, 6) for v in mean],
            "std": [round(v, 6) for v in std],
        },
        "outputs": [
            {"name": "metastasis", "shape": [-1, 1], "description": "Sigmoid probability that the patch contains tumour."},
        ],
        "tissueDetection": {
            "method": "non-glass-fraction",
            "glassMinimum": GLASS_MINIMUM,
            "minimumTissueFraction": MIN_TISSUE_FRACTION,
            "description": f"a pixel is glass when each of R, G and B is >= {GLASS_MINIMUM}; a patch is tissue when at "
                           f"least {MIN_TISSUE_FRACTION} of its 64x64 pixels are not glass; only tissue patches are scored",
        },
        "slideAggregation": {
            "method": "top-k-mean",
            "k": TOP_K,
            "patchSize": PATCH,
            "stride": PATCH,
            "description": f"slide score = mean of the k={TOP_K} highest patch probabilities over tissue patches (full "
                           f"64x64 patches on a grid from the top left pixel, stride 64; a partial patch at the right or "
                           f"bottom edge is not scored); fewer than k tissue patches: the mean of all of them; none: 0",
        },
        "operatingPoints": {
            "slide": {"threshold": round(slide_threshold, 6), "rule": RULE,
                      "validationSensitivity": val_metrics["slideSensitivity"], "validationSpecificity": val_metrics["slideSpecificity"]},
            "patch": {"threshold": round(patch_threshold, 6), "rule": RULE,
                      "validationSensitivity": val_metrics["patchSensitivity"], "validationSpecificity": val_metrics["patchSpecificity"]},
        },
        "metrics": {"definition": METRICS_DEFINITION, "validation": val_metrics, "heldOutTest": test_metrics},
        "training": {"script": "training/train_metastasis.py", "seed": SEED, "epochs": args.epochs, "batchSize": args.batch,
                     "framework": f"torch {torch.__version__}", "onnxOpset": OPSET, "seconds": seconds,
                     "threads": args.threads, "dataCommands": DATA_COMMANDS,
                     "command": "/usr/bin/python3 training/train_metastasis.py " + " ".join(sys.argv[1:])},
    }
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {sha}) in {seconds}s")


if __name__ == "__main__":
    main()
