#!/usr/bin/env bash
# Renders assets/icon.svg to the PNG sizes the hicolor theme and the window use.
# Run it after editing the SVG and commit the PNGs (the build does not need rsvg-convert).
# Also writes assets/icon.ico (all sizes in one file) for the Windows installer.
# Needs: rsvg-convert (Debian: librsvg2-bin) and ImageMagick's convert.
set -euo pipefail
cd "$(dirname "$0")/.."
for size in 32 48 64 128 256; do
  rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio \
    --output "assets/icon-${size}.png" assets/icon.svg
  echo "assets/icon-${size}.png"
done
convert assets/icon-32.png assets/icon-48.png assets/icon-64.png assets/icon-128.png \
  assets/icon-256.png assets/icon.ico
echo "assets/icon.ico"
