"""Golden values for StableAdamWTests: the reference (Dinomaly) StableAdamW update written out step by step.
Run: /usr/bin/python3 make_stable_adamw.py > stable_adamw.json"""
import json, math
import torch

torch.manual_seed(0)
w = torch.randn(3, 4, dtype=torch.float64)
b = torch.randn(4, dtype=torch.float64)
grads = [(torch.randn(3, 4, dtype=torch.float64) * (10 ** k), torch.randn(4, dtype=torch.float64)) for k in (-3, 0, 1, -1, 2)]
lrs = [0.0, 1e-3, 5e-4, 2e-3, 1e-2]
beta1, beta2, eps, wd, clip = 0.9, 0.999, 1e-10, 1e-4, 1.0

params = [w.clone(), b.clone()]
state = [dict(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p), vmax=torch.zeros_like(p)) for p in params]
after = []
for (gw, gb), lr in zip(grads, lrs):
    for p, g, s in zip(params, (gw, gb), state):
        p.mul_(1 - lr * wd)
        s["step"] += 1
        bc1 = 1 - beta1 ** s["step"]
        bc2 = 1 - beta2 ** s["step"]
        s["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        s["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        torch.max(s["vmax"], s["v"], out=s["vmax"])
        denom = (s["vmax"].sqrt() / math.sqrt(bc2)).add_(eps)
        rms = (g / denom).norm(2) / (g.numel() ** 0.5)
        scale = max(1.0, float(rms) / clip)
        p.addcdiv_(s["m"], denom, value=-(lr / bc1 / scale))
    after.append([params[0].flatten().tolist(), params[1].flatten().tolist()])

print(json.dumps({
    "w0": w.flatten().tolist(), "b0": b.flatten().tolist(),
    "grads": [[gw.flatten().tolist(), gb.flatten().tolist()] for gw, gb in grads],
    "lrs": lrs, "after": after,
}))
