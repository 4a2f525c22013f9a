#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring
# (the real Secret Service), in a fresh keyring directory that is deleted after.
#   scripts/with-keyring.sh cargo nextest run
set -euo pipefail

if [ -z "${ROLLOUT_PANEL_IN_KEYRING:-}" ]; then
  export KR_DATA
  KR_DATA=$(mktemp -d -t rollout-keyring-XXXXXX)
  trap 'rm -rf "$KR_DATA"' EXIT
  ROLLOUT_PANEL_IN_KEYRING=1 dbus-run-session -- "$0" "$@"
  exit $?
fi

# Inside the session: start the daemon with an empty password and unlock it.
printf 'rollout-test' | XDG_DATA_HOME="$KR_DATA" gnome-keyring-daemon --unlock --components=secrets >/dev/null
echo "with-keyring: Secret Service on the session bus"
"$@"
