#!/usr/bin/env bash
# Install the Debian packages the portal needs when they are missing.
# Usage: tools/system-packages.sh [--required] PACKAGE...
# Without --required a package that cannot be installed only prints what to install.
set -u
required=0
if [ "${1:-}" = "--required" ]; then required=1; shift; fi
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  echo ">> installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  if $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/portal-apt.log 2>&1; then
    exit 0
  fi
  echo "!! apt-get could not install ${missing[*]} (see /tmp/portal-apt.log)"
fi
echo "!! Missing system packages: ${missing[*]}"
echo "!! Install them with:  sudo apt-get install ${missing[*]}"
case " ${missing[*]} " in
  *" libharfbuzz-subset0 "*) echo "!! Without libharfbuzz-subset0, PDF letters render about 50 times slower." ;;
esac
[ $required -eq 1 ] && exit 1
exit 0
