#!/usr/bin/env bash
# Installs the system packages the tests and the Xvfb smoke need (Debian/Ubuntu).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
  xvfb xauth libgl1 libegl1 libgl1-mesa-dri libvulkan1 mesa-vulkan-drivers
  libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2 libx11-xcb1
  dbus gnome-keyring libsecret-tools postgresql-15
  x11-apps x11-utils imagemagick xdotool zenity
  desktop-file-utils appstream file libgtk-3-bin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all system packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-deps: not root and no sudo; install these packages: ${missing[*]}" >&2
    exit 1
  fi
fi
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
