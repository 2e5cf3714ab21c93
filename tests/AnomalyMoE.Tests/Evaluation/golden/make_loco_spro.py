# Golden AUC-sPRO values for LocoSproGoldenTests, computed the way MVTec LOCO's official evaluation does
# (per-region sPRO = min(TP / saturation area, 1) with `score > threshold`, FPR over pixels outside every region
# of their image, trapezoid up to max FPR with linear interpolation at the limit, divided by max FPR), here with
# every distinct score as a threshold plus max+eps and min-eps, so the curve is exact. Writes loco_spro.json.
import json
from bisect import bisect

import numpy as np

rng = np.random.default_rng(11)
H, W = 6, 7
config = [
    {"defect_name": "a", "pixel_value": 255, "saturation_threshold": 5, "relative_saturation": False},
    {"defect_name": "b", "pixel_value": 200, "saturation_threshold": 0.6, "relative_saturation": True},
]
images = []
for k in range(5):
    regions = []
    if k % 2 == 0:
        m = np.zeros((H, W), bool); m[1:4, 1:4] = True
        regions.append(("a", m))
        m2 = np.zeros((H, W), bool); m2[3:5, 2:6] = True  # overlaps the first
        regions.append(("b", m2))
    union = np.zeros((H, W), bool)
    for _, m in regions: union |= m
    scores = np.round(rng.random((H, W)) + 0.35 * union, 3).astype(np.float32)  # rounded: ties occur
    images.append((scores, regions))

cfg = {c["defect_name"]: c for c in config}

def saturation(name, area):
    c = cfg[name]
    return int(c["saturation_threshold"] * area) if c["relative_saturation"] else min(c["saturation_threshold"], area)

def curve(subset):
    allscores = np.concatenate([s.ravel() for s, _ in subset])
    th = [allscores.max() + 1e-6] + sorted(set(allscores.tolist()), reverse=True) + [allscores.min() - 1e-6]
    fprs, spros = [], []
    for t in th:
        fp = neg = 0; sp = []
        for s, regions in subset:
            b = s > t
            union = np.zeros_like(b)
            for _, m in regions: union |= m
            fp += np.sum(b & ~union); neg += np.sum(~union)
            for name, m in regions:
                sp.append(min(np.sum(b & m) / saturation(name, m.sum()), 1.0))
        fprs.append(fp / neg); spros.append(np.mean(sp))
    return fprs, spros

def trapz(x, y, x_max):
    x = np.array(x); y = np.array(y); correction = 0.0
    if x_max not in x:
        ins = bisect(x, x_max)
        y_interp = y[ins - 1] + (y[ins] - y[ins - 1]) * (x_max - x[ins - 1]) / (x[ins] - x[ins - 1])
        correction = 0.5 * (y_interp + y[ins - 1]) * (x_max - x[ins - 1])
    mask = x <= x_max
    x = x[mask]; y = y[mask]
    return np.sum(0.5 * (y[1:] + y[:-1]) * (x[1:] - x[:-1])) + correction

fprs, spros = curve(images)
out = {
    "width": W, "height": H, "config": config,
    "images": [{"scores": s.ravel().tolist(), "regions": [{"defect": n, "mask": m.ravel().astype(int).tolist()} for n, m in r]} for s, r in images],
    "auc_spro": {str(l): trapz(fprs, spros, l) / l for l in (0.01, 0.05, 0.1, 0.3, 1.0)},
}
with open("loco_spro.json", "w") as f:
    json.dump(out, f, indent=1)
print(out["auc_spro"])
