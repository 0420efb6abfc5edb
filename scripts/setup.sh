#!/usr/bin/env bash
# Installs what building and testing the console needs and is missing; safe to run again.
# Debian/Ubuntu: system packages with apt-get (through sudo when not root). Elsewhere: prints what
# to install and stops. Node modules and cargo tools are handled by the Makefile.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config curl wget file libssl-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth webkit2gtk-driver imagemagick fonts-noto-cjk
  dbus gnome-keyring libsecret-tools chromium
  postgresql rsyslog rsyslog-openssl
)
NODE_MIN="20.19.0"

fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

version_at_least() { # $1 >= $2, dotted versions
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  cat >&2 <<MSG
setup: this is not a Debian or Ubuntu machine, so nothing was installed.
Install the equivalents of these Debian packages with your package manager:
  ${PACKAGES[*]}
plus Rust (rustup, with rustfmt and clippy) and Node.js >= $NODE_MIN with npm, then run make again.
MSG
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "need root or sudo to install: ${missing[*]}"
    sudo=(sudo)
  fi
  # The team store's tests start their own PostgreSQL and rsyslog: the packages must create no
  # cluster and start no service (Debian's createcluster.conf, and a policy-rc.d for the install).
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    "${sudo[@]}" mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | "${sudo[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  policy_rc=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    policy_rc=/usr/sbin/policy-rc.d
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confold "${missing[@]}"
  [ -z "$policy_rc" ] || "${sudo[@]}" rm -f "$policy_rc"
fi

command -v cargo >/dev/null || fail "Rust is missing: install it with rustup (https://rustup.rs), then run make again"
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || fail "cargo $component is missing and there is no rustup to add it"
    rustup component add "$component"
  fi
done

command -v node >/dev/null || fail "Node.js is missing: install Node.js >= $NODE_MIN with npm, then run make again"
node_version=$(node --version | sed 's/^v//')
version_at_least "$node_version" "$NODE_MIN" || fail "Node.js $node_version is too old: the UI build (Vite 8) needs >= $NODE_MIN"
command -v npm >/dev/null || fail "npm is missing: install npm with Node.js, then run make again"
