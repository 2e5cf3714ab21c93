"""Golden values for the metric tests (test-data tool only, not a dependency of the kit).

Binary cases: scikit-learn's roc_auc_score and average_precision_score; F1-max as the largest
2PR/(P+R) over precision_recall_curve (0 where P+R = 0). AUPRO cases: the MVTec AD evaluation's
PRO curve (8-connected regions via scipy.ndimage.label, FPR over all normal pixels, points merged per
distinct score, float32 FPR as there) integrated with the trapezoid rule up to the limit, interpolating
at the limit, divided by the limit. Scores are float32; values are written as exact doubles.

Run: python3 make_golden.py > metrics_golden.json
"""
import json
from bisect import bisect

import numpy as np
from scipy.ndimage import label
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score


def f1_max(y, s):
    precision, recall, _ = precision_recall_curve(y, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return float(np.max(f1))


def binary_case(name, labels, scores):
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float32)
    return {
        "name": name,
        "labels": [int(v) for v in y],
        "scores": [float(v) for v in s],
        "auroc": float(roc_auc_score(y, s)),
        "ap": float(average_precision_score(y, s)),
        "f1_max": f1_max(y, s),
    }


def pro_curve(maps, masks):
    """PRO curve as in MVTec AD: one point per distinct score, from the highest score down."""
    structure = np.ones((3, 3), dtype=int)
    fp_weight = np.zeros(maps.shape, dtype=np.uint32)
    overlap_weight = np.zeros(maps.shape, dtype=np.float64)
    normal_pixels, regions = 0, 0
    for i, mask in enumerate(masks):
        labelled, count = label(mask, structure)
        regions += count
        normal = labelled == 0
        normal_pixels += int(normal.sum())
        fp_weight[i][normal] = 1
        for k in range(1, count + 1):
            region = labelled == k
            overlap_weight[i][region] = 1.0 / region.sum()
    order = np.argsort(maps.ravel())[::-1]
    scores = maps.ravel()[order]
    fprs = np.cumsum(fp_weight.ravel()[order]).astype(np.float32) / np.float32(normal_pixels)
    pros = np.cumsum(overlap_weight.ravel()[order]) / regions
    last_of_each_score = np.append(np.diff(scores) != 0, True)
    fprs = np.clip(fprs[last_of_each_score], None, 1.0)
    pros = np.clip(pros[last_of_each_score], None, 1.0)
    return np.concatenate(([0.0], fprs, [1.0])), np.concatenate(([0.0], pros, [1.0]))


def trapezoid_up_to(x, y, x_max):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    correction = 0.0
    if x_max not in x:
        ins = bisect(x, x_max)
        y_at = y[ins - 1] + (y[ins] - y[ins - 1]) * (x_max - x[ins - 1]) / (x[ins] - x[ins - 1])
        correction = 0.5 * (y_at + y[ins - 1]) * (x_max - x[ins - 1])
    keep = x <= x_max
    x, y = x[keep], y[keep]
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * (x[1:] - x[:-1])) + correction)


def aupro_case(name, maps, masks, limits=(0.3, 0.01, 1.0)):
    maps = np.asarray(maps, dtype=np.float32)
    masks = np.asarray(masks, dtype=np.uint8)
    fprs, pros = pro_curve(maps, masks)
    return {
        "name": name,
        "count": int(maps.shape[0]),
        "height": int(maps.shape[1]),
        "width": int(maps.shape[2]),
        "scores": [float(v) for v in maps.ravel()],
        "masks": [int(v) for v in masks.ravel()],
        "aupro": {str(limit): trapezoid_up_to(fprs, pros, limit) / limit for limit in limits},
    }


def blobs(rng, count, height, width, max_blobs=3):
    masks = np.zeros((count, height, width), dtype=np.uint8)
    for i in range(count):
        if i % 3 == 0:
            continue
        for _ in range(rng.integers(1, max_blobs + 1)):
            cy, cx = rng.integers(0, height), rng.integers(0, width)
            ry, rx = rng.uniform(0.5, height / 4), rng.uniform(0.5, width / 4)
            yy, xx = np.mgrid[0:height, 0:width]
            masks[i][((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] = 1
    masks[-1, 0, 0] = 1
    return masks


def main():
    rng = np.random.default_rng(20260101)
    binary = [
        binary_case("tiny_sklearn_example", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
        binary_case("two_samples", [0, 1], [0.2, 0.7]),
        binary_case("inverted", [1, 0], [0.2, 0.7]),
        binary_case("all_ties", [0, 1, 1, 0, 0, 1, 0], [0.5] * 7),
        binary_case("all_ties_one_positive", [0, 0, 0, 1], [3.0] * 4),
        binary_case("signed_zero_ties", [0, 1, 0, 1, 0], [0.0, -0.0, -1.0, 2.0, 0.0]),
        binary_case("negative_scores", [0, 1, 0, 1, 1, 0], [-5.5, -0.25, -3.0, -0.25, -1e-30, -1e30]),
        binary_case("perfect", [0] * 5 + [1] * 5, list(range(10))),
    ]
    n = 1000
    y = (rng.random(n) < 0.3).astype(int)
    binary.append(binary_case("heavy_ties_5_levels", y, np.round(rng.normal(y * 0.8, 1.0) * 1.2).clip(-2, 2)))
    y = (rng.random(n) < 0.5).astype(int)
    binary.append(binary_case("heavy_ties_3_levels_balanced", y, rng.integers(0, 3, n) + y * rng.integers(0, 2, n)))
    n = 3000
    y = (rng.random(n) < 0.1).astype(int)
    binary.append(binary_case("random_3000", y, rng.normal(y * 1.0, 1.0)))
    y = (rng.random(n) < 0.02).astype(int)
    binary.append(binary_case("random_rare_positives", y, rng.random(n) + 0.3 * y))
    n = 8000
    y = (rng.random(n) < 0.05).astype(int)
    binary.append(binary_case("random_8000_rounded", y, np.round(rng.normal(y * 1.5, 1.0), 3)))

    aupro = []
    masks = np.zeros((1, 4, 4), dtype=np.uint8)
    masks[0, 1:3, 1:3] = 1
    aupro.append(aupro_case("single_square", [[[0.1, 0.2, 0.3, 0.4], [0.5, 0.9, 0.8, 0.2], [0.1, 0.7, 0.95, 0.3], [0.0, 0.2, 0.1, 0.6]]], masks))
    diagonal = np.zeros((1, 5, 5), dtype=np.uint8)
    diagonal[0, 0, 0] = diagonal[0, 1, 1] = diagonal[0, 2, 2] = 1
    diagonal[0, 4, 0] = 1
    # Corner-touching pixels form one region (8-connectivity): 2 regions here, 4 with 4-connectivity.
    diagonal_scores = rng.random((1, 5, 5)) * 0.5
    diagonal_scores[0, 0, 0], diagonal_scores[0, 1, 1], diagonal_scores[0, 2, 2], diagonal_scores[0, 4, 0] = 0.9, 0.3, 0.25, 0.2
    aupro.append(aupro_case("diagonal_touch_is_one_region", diagonal_scores, diagonal))
    aupro.append(aupro_case("all_ties", np.full((2, 6, 6), 0.5), blobs(rng, 2, 6, 6)))
    shape = (6, 16, 16)
    aupro.append(aupro_case("random_distinct", rng.random(shape), blobs(rng, *shape)))
    m = blobs(rng, *shape)
    aupro.append(aupro_case("random_informative", rng.normal(m * 1.0, 0.7), m))
    m = blobs(rng, *shape)
    aupro.append(aupro_case("random_heavy_ties", np.round(rng.normal(m * 1.0, 0.7) * 2) / 2, m))
    shape = (4, 24, 20)
    m = blobs(rng, *shape, max_blobs=5)
    aupro.append(aupro_case("random_non_square", rng.normal(m * 0.6, 0.5), m))

    json.dump({"binary": binary, "aupro": aupro}, __import__("sys").stdout)


if __name__ == "__main__":
    main()
