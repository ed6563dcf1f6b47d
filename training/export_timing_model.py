#!/usr/bin/python3
"""Export a DR-contract ONNX model with the compute cost of a published DR system, for timing only.

Why: the reference grader (dr-grader 0.2.0) is tiny (2-3 ms per image on CPU), so the inference benchmark's
pipeline-to-bare-Run ratio mostly measures decode, crop and heatmap, not how little the pipeline adds to a model of
clinical size. Gulshan et al. (JAMA 2016) graded with Inception-v3 at 299 px, about 5.7 G multiply-adds per image.
torchvision is not installed here (Debian's python3-torch only), so this builds a ResNet-50 (He et al. 2016,
bottleneck blocks 3-4-6-3) by hand: at the contract's 256 px input it costs about 5.4 G multiply-adds, within a few
per cent of Inception-v3 at 299 px, and keeps the reference card's input contract unchanged.

The model meets the DR contract exactly (input "image" N x 3 x 256 x 256 float32, outputs grade_probs N x 5,
referable_dr N x 1, referable_dme N x 1, referable_dr_cam N x 1 x 4 x 4), with seeded random weights: it grades
nothing, and its card says so. Output goes to a folder outside models/ (no large binaries in git):

    /usr/bin/python3 training/export_timing_model.py --out artifacts/timing-model
    dotnet run -c Release --project bench/RetinaScreen.Inference.Benchmarks -- --model artifacts/timing-model/dr-timing-resnet50-0.0.1.json
"""
import argparse
import hashlib
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20161129  # Gulshan et al.'s publication date; any fixed seed would do
VERSION = "0.0.1"
NAME = "dr-timing-resnet50"
REFERENCE_CARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "dr-grader", "dr-grader-0.2.0.json")
INCEPTION_V3_299_MACS = 5.71e9  # torchvision's published figure for Inception-v3 at 299 px, for comparison only


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class TimingResNet50(nn.Module):
    """ResNet-50 features, then the reference grader's heads: mean- and max-pooled features into three linear heads,
    and the referable-DR class activation map averaged down to the contract's 4 x 4."""

    def __init__(self, input_size, cam_size):
        super().__init__()
        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
            for b in range(blocks):
                layers.append(Bottleneck(cin, width, stride if b == 0 else 1))
                cin = width * 4
        self.features = nn.Sequential(*layers)
        self.grade = nn.Linear(2 * cin, 5)
        self.referable_dr = nn.Linear(2 * cin, 1)
        self.referable_dme = nn.Linear(2 * cin, 1)
        # The contract's CAM is cam_size x cam_size over the crop; ResNet-50's last map is input_size / 32 (8 x 8 at 256 px).
        # Fixed here, not read from the traced shape, so the exported graph pools with a constant kernel.
        self.cam_pool = input_size // 32 // cam_size

    def forward(self, image):
        fmap = self.features(image)
        f = torch.cat([fmap.mean(dim=(2, 3)), fmap.amax(dim=(2, 3))], dim=1)
        c = fmap.shape[1]
        w = self.referable_dr.weight[0, :c] + self.referable_dr.weight[0, c:]
        cam = torch.einsum("nchw,c->nhw", fmap, w).unsqueeze(1)
        cam = F.avg_pool2d(cam, self.cam_pool)
        return F.softmax(self.grade(f), dim=1), torch.sigmoid(self.referable_dr(f)), torch.sigmoid(self.referable_dme(f)), cam


def multiply_adds(model, size):
    """Multiply-adds of one image through every convolution and linear layer (what the published figures count)."""
    total = [0]

    def conv_hook(m, _, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, _, out):
        total[0] += out.numel() * m.in_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return total[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the ONNX file and its card (not models/)")
    parser.add_argument("--reference-card", default=REFERENCE_CARD, help="the DR card whose input contract and outputs to copy")
    args = parser.parse_args()

    reference = json.load(open(args.reference_card))
    shape = reference["input"]["shape"]
    size = int(shape[3])
    cam_shape = next(o["shape"] for o in reference["outputs"] if o["name"] == "referable_dr_cam")
    cam_size = int(cam_shape[-1])

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    model = TimingResNet50(size, cam_size)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    # Batch-norm statistics from one pass over seeded noise: in eval mode every layer's activations then stay of order
    # one, so the timing is not distorted by overflow or denormal numbers that random weights could otherwise produce.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
    model.train()
    with torch.no_grad():
        model(torch.randn(16, 3, size, size))
    model.eval()

    macs = multiply_adds(model, size)
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        g, r, d, cam = model(torch.randn(4, 3, size, size))
    assert torch.isfinite(cam).all() and torch.isfinite(g).all(), "random weights gave non-finite outputs"
    assert tuple(cam.shape[1:]) == (1, cam_size, cam_size)

    os.makedirs(args.out, exist_ok=True)
    onnx_name = f"{NAME}-{VERSION}.onnx"
    onnx_path = os.path.join(args.out, onnx_name)
    names = ["grade_probs", "referable_dr", "referable_dme", "referable_dr_cam"]
    torch.onnx.export(model, torch.zeros(1, 3, size, size), onnx_path, opset_version=13,
                      input_names=[reference["input"]["name"]], output_names=names,
                      dynamic_axes={reference["input"]["name"]: {0: "N"}, **{n: {0: "N"} for n in names}},
                      do_constant_folding=True)
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()

    marker = "TIMING ONLY: random weights, grades nothing."
    card = {
        "name": NAME,
        "version": VERSION,
        "file": onnx_name,
        "sha256": sha,
        "notForClinicalUse": True,
        "intendedUse": f"{marker} A ResNet-50 with seeded random weights ({params / 1e6:.1f} M parameters, "
                       f"{macs / 1e9:.2f} G multiply-adds per {size} px image; Inception-v3 at 299 px as in Gulshan et al. 2016: "
                       f"{INCEPTION_V3_299_MACS / 1e9:.2f} G) behind the DR contract of {reference['name']} {reference['version']}, "
                       "so that the inference benchmark can measure the pipeline around a model of a published system's cost. "
                       "Its scores are meaningless; never configure it as a grader.",
        "input": reference["input"],
        "outputs": reference["outputs"],
        # The loader needs operating points; these are the reference card's and mean nothing for random weights.
        "operatingPoints": reference["operatingPoints"],
        "training": {"script": "training/export_timing_model.py", "seed": SEED, "trained": False, "framework": f"torch {torch.__version__}",
                     "onnxOpset": 13, "multiplyAddsPerImage": macs, "parameters": params,
                     "contractFrom": {"model": f"{reference['name']} {reference['version']}", "sha256": reference["sha256"]}},
    }
    card_path = os.path.join(args.out, f"{NAME}-{VERSION}.json")
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {sha}) and {card_path}")
    print(f"{params / 1e6:.1f} M parameters, {macs / 1e9:.2f} G multiply-adds per {size} px image "
          f"(Inception-v3 at 299 px: {INCEPTION_V3_299_MACS / 1e9:.2f} G)")


if __name__ == "__main__":
    main()
