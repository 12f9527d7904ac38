#!/usr/bin/env bash
# Install the Debian packages listed in system-packages.txt that are missing. As root it installs them;
# otherwise it prints the exact command to run and fails, so nothing half-works later.
set -euo pipefail
cd "$(dirname "$0")"
unset LD_PRELOAD FAKETIME  # apt keeps the real clock inside a shifted test run (tests/at_hour.py)

mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' system-packages.txt)
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "测试需要这些系统软件包 (the suite needs these Debian packages): ${missing[*]}" >&2
    echo "请先运行 (run first): sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
