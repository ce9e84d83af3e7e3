#!/usr/bin/env bash
# Makes sure the system packages and services the test suite uses are present and running.
# Idempotent: installs only what is missing, starts only what is down. Needs root for apt-get;
# without root it reports what is missing and exits non-zero.
set -euo pipefail

packages=(
  xvfb x11-utils x11-xserver-utils x11-apps xdotool xterm   # real X server and X clients for capture/input tests
  libx11-6 libxext6 libxtst6 libxrandr2 libxfixes3 libxdamage1 # libraries the agent loads through koffi
  libturbojpeg0                                                # JPEG for the agent's adaptive codec (koffi)
  zenity                                                       # the agent's graphical consent dialog (consent tests)
  chromium                                                     # headless browser for viewer and console tests
  postgresql-client                                            # pg_isready
  clang lld wasi-libc libclang-rt-14-dev-wasm32                # rebuilds the viewer's zstd WebAssembly (check:gen)
  zstd                                                         # zstd CLI: frames without a declared size (viewer tests)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages (run as root to install): ${missing[*]}" >&2
    exit 1
  fi
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

# NATS with JetStream on 127.0.0.1:4222 (scale-out tests).
if ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  if command -v nats-server >/dev/null; then
    echo "starting nats-server"
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
    sleep 1
  else
    echo "nats-server not installed; NATS tests will be reported as failures" >&2
  fi
fi
echo "system ready"
