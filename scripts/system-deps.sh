#!/usr/bin/env bash
# System packages huiji-review needs beyond Python: a CJK font (PDF cards and reports), Chromium
# (browser tests and screenshots; the browser tests prefer its headless build where the
# distribution has one), poppler-utils (PDF checks) and LibreOffice Calc without its GUI (the
# audit pack's test recalculates its workbook's formulas). Installed when we are root on
# Debian/Ubuntu; otherwise named so that an administrator can install them.
set -euo pipefail
wanted=(fonts-noto-cjk chromium poppler-utils libreoffice-calc-nogui)
# Debian 12 and later package Chromium's headless shell; elsewhere the tests use chromium.
if apt-cache show chromium-headless-shell >/dev/null 2>&1; then
  wanted+=(chromium-headless-shell)
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "NOTE: please install these Debian packages (as root): apt-get install ${missing[*]}" >&2
  echo "      Without chromium the browser tests are skipped; without fonts-noto-cjk PDFs show no Chinese." >&2
  echo "      Without libreoffice-calc-nogui the audit pack's workbook recalculation test is skipped." >&2
fi
