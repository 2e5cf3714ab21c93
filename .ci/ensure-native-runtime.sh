#!/usr/bin/env bash
# TorchSharp 0.107's native library (libtorch 2.10) needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+).
# Debian 12 ships 3.4.30. This script adds the Debian 13 (trixie) suite from the mirror that the
# machine's own apt sources already use, pinned low (priority 100) so nothing else is upgraded by
# accident, and installs only libstdc++6 from it. Idempotent: it does nothing where the symbol
# version is already present (Ubuntu 24.04, Debian 13, the devcontainer).
set -euo pipefail

need=GLIBCXX_3.4.32
has_symbol() {
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    [ -f "$lib" ] && grep -qa "$need" "$lib" && return 0
  done
  return 1
}

if has_symbol; then
  echo "ensure-native-runtime: libstdc++ already provides $need"
  exit 0
fi

if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null; then
  echo "ensure-native-runtime: libstdc++ lacks $need and this is not a Debian system." >&2
  echo "Use a distribution with GCC 13+ runtime (Ubuntu 24.04, Debian 13) or the devcontainer." >&2
  exit 1
fi

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

# Read the mirror from the existing sources (deb822 first, then one-line format).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  m=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ /bookworm([ ]|$)/ && u !~ /security/) {print u; exit} }' "$f")
  [ -n "$m" ] && { mirror=$m; break; }
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $0 ~ / bookworm / && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
  echo "ensure-native-runtime: could not find the Debian mirror in /etc/apt/sources.list*" >&2
  exit 1
fi

echo "ensure-native-runtime: adding trixie main (pinned at 100) from the configured mirror"
$sudo_cmd tee /etc/apt/sources.list.d/anomalymoe-trixie.sources >/dev/null <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
$sudo_cmd tee /etc/apt/preferences.d/anomalymoe-trixie.pref >/dev/null <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN

$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if has_symbol; then
  echo "ensure-native-runtime: libstdc++ now provides $need"
else
  echo "ensure-native-runtime: install finished but $need is still missing" >&2
  exit 1
fi
