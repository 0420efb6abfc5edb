#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with its own unlocked GNOME Keyring, so keychain
# tests talk to a real Secret Service without touching the user's keyring. The keyring password
# is random, passed on stdin (never argv), and the keyring lives in a temporary directory.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -m 700 "$scratch/data" "$scratch/runtime"
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime"
head -c 24 /dev/urandom | base64 | dbus-run-session -- bash -c '
  set -euo pipefail
  IFS= read -r PASS
  eval "$(printf %s "$PASS" | gnome-keyring-daemon --unlock --components=secrets)"
  unset PASS
  for _ in $(seq 50); do   # the daemon takes the bus name a moment after it starts
    dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true && break
    sleep 0.1
  done
  exec "$@"' _ "$@"
