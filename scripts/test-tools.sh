#!/usr/bin/env bash
# What the test suite runs besides Node (npm test calls this first): nats-server for the cluster
# tests (unless NATS_URL), Chromium for the dashboard's test (unless CHROMIUM_PATH), Prometheus for
# the Grafana dashboard's (unless PROMETHEUS_PATH). As root with apt-get, installs what is missing;
# otherwise says what is, and the tests that need it fail saying so.
set -uo pipefail
missing=()
[ -n "${NATS_URL:-}" ] || command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
[ -n "${CHROMIUM_PATH:-}" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
[ -n "${PROMETHEUS_PATH:-}" ] || [ -x /usr/bin/prometheus ] || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing for the test suite: ${missing[*]}"
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 && exit 0
  echo "could not install ${missing[*]}"
fi
echo "missing for the test suite: ${missing[*]} (apt-get install ${missing[*]}, or set NATS_URL / CHROMIUM_PATH / PROMETHEUS_PATH); the tests that need them will fail"
