#!/usr/bin/env bash
# Shared set-up for scripts/demo and scripts/test: installs what a fresh Debian or Ubuntu
# machine lacks (system packages, Rust, the UI's npm packages), then returns.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else fail "installing system packages needs root; run as root or install sudo"; fi
}

# Packages to build and run the desktop app (webkit2gtk for the window).
APP_PACKAGES=(build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev xdg-utils)
# Packages the tests add: a virtual display, the WebDriver for the webview, a keyring,
# xdotool to answer the system's save dialog as an admin would, and systemd for
# `systemd-analyze verify` of the schedule's units, and rpm to read the .rpm package's header.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus gnome-keyring libsecret-tools imagemagick xdotool systemd rpm)

install_packages() {
  command -v dpkg-query >/dev/null || fail "this script installs with apt; on another system install: $*"
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null; then
    install_packages curl ca-certificates
    say "Installing Rust (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt -c clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null; then
    install_packages nodejs npm
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || fail "Node.js 20 or newer is needed for the UI build (found $(node --version)); install it from your distribution or nodejs.org"
}

ensure_ui_packages() {
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    say "Installing the UI's npm packages"
    npm --prefix ui ci --no-audit --no-fund --loglevel=error
  fi
}

# scim2-server (PyPI), the third-party SCIM server the SCIM target's contract tests also run
# against, in a virtual environment under target/. Skipped when it is already there.
SCIM2_VENV="$ROOT/target/scim2-venv"
ensure_scim2_server() {
  [ -x "$SCIM2_VENV/bin/scim2-server" ] && return 0
  command -v python3 >/dev/null || install_packages python3
  python3 -m venv --help >/dev/null 2>&1 || install_packages python3-venv
  say "Installing scim2-server into target/scim2-venv"
  rm -rf "$SCIM2_VENV"
  python3 -m venv "$SCIM2_VENV" || install_packages python3-venv
  [ -x "$SCIM2_VENV/bin/pip" ] || python3 -m venv "$SCIM2_VENV"
  "$SCIM2_VENV/bin/pip" install --quiet --disable-pip-version-check 'scim2-server>=0.8,<0.9'
}

# aiosmtpd (PyPI), the local mail server the email-report tests send to (STARTTLS and
# sign-in required), in a virtual environment of its own under target/.
SMTP_VENV="$ROOT/target/smtp-venv"
ensure_smtp_server() {
  [ -x "$SMTP_VENV/bin/python" ] && "$SMTP_VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null && return 0
  command -v python3 >/dev/null || install_packages python3
  python3 -m venv --help >/dev/null 2>&1 || install_packages python3-venv
  command -v openssl >/dev/null || install_packages openssl
  say "Installing aiosmtpd into target/smtp-venv"
  rm -rf "$SMTP_VENV"
  python3 -m venv "$SMTP_VENV" || install_packages python3-venv
  [ -x "$SMTP_VENV/bin/pip" ] || python3 -m venv "$SMTP_VENV"
  "$SMTP_VENV/bin/pip" install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
}

build_ui() {
  say "Building the UI"
  npm --prefix ui run --silent build
}
