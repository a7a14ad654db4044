#!/usr/bin/env bash
# What the tests and benchmarks need beyond the virtualenv, on Debian. Installs only what is
# missing: wrk (load tests), Debian's Chromium and a font with Cyrillic (browser tests and report
# PDFs; never a browser download), poppler-utils (pdftotext reads the PDFs back), a Java runtime for the Nu Html Checker,
# LibreOffice Calc without its GUI (the CSV and xlsx exports opened headless, `soffice`), and the npm
# packages of package.json (axe-core, vnu-jar) into ./node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # the report PDFs' text
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)  # exports opened by LibreOffice
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them with apt-get)" >&2
  fi
fi
# npm packages for the browser tests, pinned by package-lock.json; reinstalled when it changes.
if command -v npm >/dev/null 2>&1; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  fi
else
  echo "npm is missing (apt: npm): the browser tests need it for axe-core and vnu-jar" >&2
fi
