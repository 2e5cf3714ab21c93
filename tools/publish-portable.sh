#!/usr/bin/env bash
# The portable archive artifacts/amoe-portable.tar.xz: a self-contained linux-x64 amoe that needs no .NET on the target,
# built with -p:TorchBackend=external (no libtorch, no TorchSharp glue: they come from LD_LIBRARY_PATH at run time) and
# without the ResNet18 ONNX file, language folders or debug symbols, so it stays small enough to copy to a GPU machine.
# Usage: tools/publish-portable.sh   (tools/check-portable.sh tests the result)
set -euo pipefail
cd "$(dirname "$0")/.."

limit_mib=35
stage=artifacts/portable
archive=artifacts/amoe-portable.tar.xz
rm -rf "$stage" "$archive"
mkdir -p "$stage"

# A separate artifacts path keeps this build's restore (TorchBackend=external) out of the normal obj/ folders.
dotnet publish src/AnomalyMoE.Cli -c Release -r linux-x64 --self-contained \
  --artifacts-path artifacts/build -o "$stage/amoe" \
  -p:TorchBackend=external -p:BundleResNet18Onnx=false \
  -p:SatelliteResourceLanguages=en -p:DebugType=none -p:DebugSymbols=false \
  -nologo -v:quiet

# Whatever still came along: symbols, and folders holding only satellite assemblies.
find "$stage/amoe" -name '*.pdb' -delete
find "$stage/amoe" -mindepth 1 -type d | sort -r | while read -r dir; do
  if [ -z "$(find "$dir" -type f ! -name '*.resources.dll' -print -quit)" ]; then rm -rf "$dir"; fi
done
if find "$stage/amoe" \( -name 'libtorch*.so*' -o -name 'libLibTorchSharp.so' -o -name '*.onnx' \) | grep -q .; then
  echo "publish-portable: libtorch, TorchSharp glue or an ONNX file ended up in $stage/amoe" >&2
  exit 1
fi

XZ_OPT="-6 -T0" tar -C "$stage" -cJf "$archive" amoe
bytes=$(stat -c %s "$archive")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "publish-portable: $archive $mib MiB ($bytes bytes; unpacked $(du -sh "$stage/amoe" | cut -f1))"
if [ "$bytes" -gt $((limit_mib * 1048576)) ]; then
  echo "publish-portable: the archive is over the $limit_mib MiB limit" >&2
  exit 1
fi
