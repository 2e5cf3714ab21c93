"""Golden values for tests/AnomalyMoE.Tests/Data/ImageTransformsGoldenTests.cs.

Run from this folder with PyTorch 1.13 (CPU): python3 make_transform_golden.py
Writes transform_golden.json: a small uint8 RGB image and mask, and for several (resize, crop) cases the
result of resize -> center-crop -> ImageNet normalisation computed with torch.nn.functional.interpolate
(bilinear, align_corners=False, with and without antialias) and the mask through interpolate(mode="nearest").
The colour-jitter cases (resize 16, crop 12) follow torchvision's tensor functional code (adjust_brightness / adjust_contrast /
adjust_saturation: _blend with clamp to [0, 1], gray = 0.2989 R + 0.587 G + 0.114 B), applied to the resized
[0, 1] image before the crop with the contrast mean taken over the full source image.
"""
import json

import numpy as np
import torch
import torch.nn.functional as F

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)

rng = np.random.default_rng(20261128)
H, W = 37, 53
image_u8 = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
# Smooth structure plus noise so that resizing has something to average.
yy, xx = np.mgrid[0:H, 0:W]
image_u8[..., 0] = ((xx * 255) // (W - 1) // 2 + image_u8[..., 0] // 2).astype(np.uint8)
mask_u8 = np.zeros((H, W), dtype=np.uint8)
mask_u8[5:20, 10:31] = 255
mask_u8[25:33, 40:50] = 128

image = torch.from_numpy(image_u8).permute(2, 0, 1).float() / 255.0  # [3, H, W] like ToTensor
mask = torch.from_numpy((mask_u8 > 0).astype(np.float32))[None]       # [1, H, W]


def gray(x):
    return 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]


def jitter(x, kind, factor, full_image):
    if kind == "Brightness":
        return (factor * x).clamp(0, 1)
    if kind == "Contrast":
        m = gray(full_image).mean()
        return (factor * x + (1 - factor) * m).clamp(0, 1)
    if kind == "Saturation":
        g = gray(x)[None]
        return (factor * x + (1 - factor) * g).clamp(0, 1)
    raise ValueError(kind)


def center_crop(x, c):
    s_h, s_w = x.shape[-2:]
    top = int(round((s_h - c) / 2.0))
    left = int(round((s_w - c) / 2.0))
    return x[..., top:top + c, left:left + c]


def rounded(t):
    return [float("%.7g" % v) for v in t.flatten().tolist()]


cases = []
for resize, crop in [(16, 12), (15, 12), (60, 50), (37, 30), (20, 20)]:
    for antialias in (False, True):
        resized = F.interpolate(image[None], size=(resize, resize), mode="bilinear", align_corners=False,
                                antialias=antialias)[0]
        out = (center_crop(resized, crop) - MEAN) / STD
        case = {
            "resize": resize, "crop": crop, "antialias": antialias,
            "image": rounded(out),
            "mask": center_crop(F.interpolate(mask[None], size=(resize, resize), mode="nearest")[0], crop).flatten().tolist(),
            "jitter": [],
        }
        jitter_cases = [] if (resize, crop) != (16, 12) else [
            ("Brightness", 1.17), ("Brightness", 0.83), ("Contrast", 1.2), ("Contrast", 0.8),
            ("Saturation", 1.1), ("Saturation", 0.85)]
        for kind, factor in jitter_cases:
            j = (center_crop(jitter(resized, kind, factor, image), crop) - MEAN) / STD
            case["jitter"].append({"kind": kind, "factor": factor, "image": rounded(j)})
        cases.append(case)

with open("transform_golden.json", "w") as f:
    json.dump({
        "torch": torch.__version__,
        "height": H, "width": W,
        "image_u8_hwc": image_u8.flatten().tolist(),
        "mask_u8": mask_u8.flatten().tolist(),
        "cases": cases,
    }, f)
print("wrote transform_golden.json with", len(cases), "cases")
