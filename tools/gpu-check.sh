#!/usr/bin/env bash
# The one-command device check (amoe bench gpu) from the portable build, for a machine without .NET or network.
# Usage: tools/gpu-check.sh [OUT.json] [more amoe bench gpu options, e.g. --scale fixture --device cpu]
# Environment:
#   AMOE             the unpacked portable folder or the archive (default artifacts/portable/amoe, else artifacts/amoe-portable.tar.xz)
#   FIXTURE          parity fixture folder (default ../shared/fixtures/official-parity/seed0, else shared/fixtures/official-parity/seed0)
#   TORCHSHARP_GLUE  folder holding libLibTorchSharp.so built for the libtorch used (prepended to LD_LIBRARY_PATH)
#   TORCH_LIB        libtorch folder (default: torch/lib of the python3 torch package, when there is one)
#   TIMEOUT          seconds before the check is stopped (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(realpath -m "${1:-artifacts/gpu-check.json}")
shift || true

amoe=${AMOE:-}
if [ -z "$amoe" ]; then
  if [ -x artifacts/portable/amoe/amoe ]; then amoe=artifacts/portable/amoe; else amoe=artifacts/amoe-portable.tar.xz; fi
fi
if [ -f "$amoe" ]; then
  unpacked=$(mktemp -d)
  trap 'rm -rf "$unpacked"' EXIT
  tar -C "$unpacked" -xJf "$amoe"
  amoe=$unpacked/amoe
fi
[ -x "$amoe/amoe" ] || { echo "gpu-check: no amoe in '$amoe' (tools/publish-portable.sh builds it)" >&2; exit 2; }

fixture=${FIXTURE:-}
if [ -z "$fixture" ]; then
  for candidate in ../shared/fixtures/official-parity/seed0 shared/fixtures/official-parity/seed0; do
    if [ -f "$candidate/meta.json" ]; then fixture=$candidate; break; fi
  done
fi
[ -n "$fixture" ] || { echo "gpu-check: no parity fixture found; set FIXTURE" >&2; exit 2; }
fixture=$(realpath "$fixture")

torch_lib=${TORCH_LIB:-}
if [ -z "$torch_lib" ] && command -v python3 >/dev/null; then
  torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null || true)
fi
for dir in "$torch_lib" "${TORCHSHARP_GLUE:-}"; do
  if [ -n "$dir" ]; then export LD_LIBRARY_PATH="$(realpath "$dir")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
done
echo "gpu-check: amoe $amoe, fixture $fixture, LD_LIBRARY_PATH ${LD_LIBRARY_PATH:-(empty)}" >&2

# Defaults for what the extra options do not name (an option given twice is an error).
args=("$@")
[[ " $* " == *" --device "* ]] || args+=(--device cuda)
[[ " $* " == *" --scale "* ]] || args+=(--scale paper)

set +e
timeout "${TIMEOUT:-600}" "$amoe/amoe" bench gpu --fixture "$fixture" --out "$out" --quiet "${args[@]}" >/dev/null
rc=$?
set -e
[ -f "$out" ] && echo "gpu-check: wrote $out (exit $rc)" >&2
exit $rc
