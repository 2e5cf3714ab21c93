"""Golden values for DINOv2 positional-embedding interpolation (run with PyTorch 1.13, CPU).

Resizes the seed0 fixture encoder's 37x37 positional embedding the way DINOv2's
interpolate_pos_encoding does: bicubic, align_corners=False, no antialias, scale factor
(grid_side + 0.1) / 37 per axis, the scale factor (not the recomputed size ratio) driving
the sampling positions (PyTorch's default recompute_scale_factor=None).
Writes pos_embed_golden.pth: name -> tensor [1, 1 + gh*gw, D], plus input.pos_embed, the embedding
it resized, so the golden checks the interpolation whatever fixture the tests read.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
if len(sys.argv) != 2:
    sys.exit("usage: python3 make_pos_embed_golden.py ../shared/fixtures/official-parity/seed0/model.pth")
model_path = sys.argv[1]
pos_embed = torch.load(model_path, map_location="cpu")["encoder.pos_embed"].float()
dim = pos_embed.shape[-1]
grid = int(math.sqrt(pos_embed.shape[1] - 1))
patch = 14


def resized(height, width, recompute):
    gh, gw = height // patch, width // patch
    patch_grid = pos_embed[:, 1:].reshape(1, grid, grid, dim).permute(0, 3, 1, 2)
    out = F.interpolate(patch_grid, scale_factor=((gh + 0.1) / grid, (gw + 0.1) / grid), mode="bicubic",
                        align_corners=False, recompute_scale_factor=recompute)
    assert out.shape[-2:] == (gh, gw)
    return torch.cat([pos_embed[:, :1], out.permute(0, 2, 3, 1).reshape(1, gh * gw, dim)], dim=1)


golden = {"input.pos_embed": pos_embed.contiguous()}
for h, w in [(392, 392), (224, 308)]:
    golden[f"pos_embed.{h}x{w}"] = resized(h, w, None).contiguous()
    recomputed = resized(h, w, True)
    print(f"{h}x{w}: max |scale-factor sampling - recomputed-size sampling| = "
          f"{(golden[f'pos_embed.{h}x{w}'] - recomputed).abs().max().item():.3e}")
torch.save(golden, os.path.join(here, "pos_embed_golden.pth"))
