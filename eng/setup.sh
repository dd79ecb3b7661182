#!/usr/bin/env bash
# Makes this machine able to run TorchSharp 0.107 (libtorch 2.10).
#
# TorchSharp's libLibTorchSharp.so needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+) and GLIBC_2.34.
# Debian 12 ships GLIBCXX_3.4.30, so TorchSharp fails to initialise there. On Debian 12, as root,
# this script installs libstdc++6 from Debian 13 (trixie) behind a low apt pin (this also upgrades
# glibc to trixie's 2.41). Everywhere else it only checks and explains.
#
# Idempotent: it does nothing when the symbol is already present. Also checks that the .NET SDK is there.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

need_symbol=GLIBCXX_3.4.32

find_libstdcxx() {
  local candidate
  for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 \
                   /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    [ -e "$candidate" ] && { readlink -f "$candidate"; return 0; }
  done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}'
}

has_symbol() {
  local lib
  lib=$(find_libstdcxx) || return 1
  [ -n "$lib" ] && grep -qa "$need_symbol" "$lib"
}

command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is not on PATH; install it from https://dot.net (dotnet-sdk-10.0) and run again"

case "$(uname -s)" in
  Linux) ;;
  *) say "$(uname -s): TorchSharp's native packages carry what they need; nothing to do"; exit 0 ;;
esac

if has_symbol; then
  say "libstdc++ provides $need_symbol ($(find_libstdcxx)); TorchSharp can load; nothing to do"
  exit 0
fi

. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != "debian" ] || [ "${VERSION_ID:-}" != "12" ]; then
  die "libstdc++ lacks $need_symbol, which TorchSharp 0.107 needs (GCC 13+ runtime). Install a newer libstdc++6 (Ubuntu 24.04+, Debian 13+ and Fedora 39+ have it) and run again."
fi
if [ "$(id -u)" != 0 ]; then
  die "Debian 12's libstdc++ lacks $need_symbol, which TorchSharp 0.107 needs. Run this script as root (sudo $0) to install libstdc++6 from Debian 13 (trixie) with a low apt pin."
fi

# The Debian mirror this machine already uses for bookworm (a proxy or local mirror included): the first URI of an
# enabled deb source serving the suite "bookworm", from deb822 .sources files or one-line .list files.
debian_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         {
           types = ""; uris = ""; suites = ""; enabled = "yes"
           for (i = 1; i <= NF; i++) {
             line = $i; sub(/^[ \t]+/, "", line)
             if (line ~ /^#/) continue
             if (tolower(line) ~ /^types:/) types = " " substr(line, 7) " "
             if (tolower(line) ~ /^uris:/) uris = substr(line, 6)
             if (tolower(line) ~ /^suites:/) suites = " " substr(line, 8) " "
             if (tolower(line) ~ /^enabled:/) enabled = tolower(substr(line, 9))
           }
           gsub(/[ \t]+/, " ", types); gsub(/[ \t]+/, " ", suites); gsub(/^[ \t]+/, "", uris)
           if (enabled !~ /no/ && types ~ / deb / && suites ~ / bookworm / && uris != "") { split(uris, u, " "); print u[1]; exit }
         }' "$file"
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } if ($(i + 1) == "bookworm") { print $i; exit } }' "$file"
  done
}

mirror=$(debian_mirror | head -n 1)
[ -n "$mirror" ] || die "no enabled apt source for Debian 12 (bookworm) was found in /etc/apt/sources.list{,.d}; add this machine's Debian mirror there and run again"

say "Debian 12 lacks $need_symbol: installing libstdc++6 from Debian 13 (trixie), from this machine's Debian mirror, with a low apt pin (about 30 s; upgrades glibc to 2.41)"
cat > /etc/apt/sources.list.d/saliency-trixie.sources <<SRC
# Added by Saliency's eng/setup.sh: Debian 13 packages, pinned low, for libstdc++6 (GLIBCXX_3.4.32).
# The URI is the one this machine's own apt sources use for Debian 12.
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/saliency-trixie <<'PIN'
# Added by Saliency's eng/setup.sh: never take trixie packages unless asked for by name.
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t trixie libstdc++6 >/dev/null
has_symbol || die "libstdc++6 from trixie was installed but $need_symbol is still missing in $(find_libstdcxx)"
say "done: $(find_libstdcxx) now provides $need_symbol"
