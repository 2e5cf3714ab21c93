#!/usr/bin/env bash
# Tests the portable archive (tools/publish-portable.sh) as a user gets it: unpacked into an empty folder, first without any
# libtorch (it must fail with the message naming the missing libraries), then with the CPU libtorch and TorchSharp's glue
# from the NuGet cache on LD_LIBRARY_PATH, where verify-parity of the shared fixture must pass.
# Usage: tools/check-portable.sh [ARCHIVE] [FIXTURE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

archive=$(realpath "${1:-artifacts/amoe-portable.tar.xz}")
fixture=$(realpath "${2:-../shared/fixtures/official-parity/seed0}")
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
[ -f "$archive" ] || { echo "check-portable: no archive at $archive (run tools/publish-portable.sh)" >&2; exit 1; }
[ -f "$fixture/meta.json" ] || { echo "check-portable: no parity fixture at $fixture" >&2; exit 1; }

# The versions the default (cpu) build restores: TorchSharp from Directory.Packages.props, libtorch from TorchSharp-cpu's nuspec.
torchsharp=$(sed -n 's:.*<TorchSharpVersion>\(.*\)</TorchSharpVersion>.*:\1:p' Directory.Packages.props)
libtorch=$(sed -n 's:.*<dependency id="libtorch-cpu" version="\([^"]*\)".*:\1:p' "$packages/torchsharp-cpu/$torchsharp/torchsharp-cpu.nuspec" | head -n 1)
glue_dir=$packages/torchsharp/$torchsharp/runtimes/linux-x64/native
torch_dir=$packages/libtorch-cpu-linux-x64/$libtorch/runtimes/linux-x64/native
for f in "$glue_dir/libLibTorchSharp.so" "$torch_dir/libtorch_cpu.so"; do
  [ -f "$f" ] || { echo "check-portable: $f is missing (dotnet restore the solution first)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xJf "$archive"
cd "$work/amoe"
# An empty HOME and no NUGET_PACKAGES: TorchSharp's own fallback probes the NuGet cache, which a target machine lacks.
mkdir "$work/home"
isolated=(env -u LD_LIBRARY_PATH -u NUGET_PACKAGES HOME="$work/home")

set +e
missing=$("${isolated[@]}" ./amoe verify-parity "$fixture" 2>&1)
rc=$?
set -e
if [ "$rc" -eq 0 ] || ! grep -q "Missing native libraries: libLibTorchSharp.so" <<<"$missing"; then
  echo "check-portable: without libtorch, expected a failure naming the missing libraries; got exit $rc:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "check-portable: without libtorch: exit $rc, missing libraries named"

"${isolated[@]}" LD_LIBRARY_PATH="$glue_dir:$torch_dir" ./amoe verify-parity "$fixture" | tail -n 1
echo "check-portable: verify-parity passed from the unpacked archive (TorchSharp $torchsharp, libtorch-cpu $libtorch)"
