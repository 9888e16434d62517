#!/usr/bin/env bash
# System packages the tests use: Debian's Chromium (browser tests), Node.js/npm (Cosmos DB test server)
# and a Java runtime (the Spark tests run PySpark on local[2]; Spark 4 needs Java 17 or later).
# Installs what is missing when it can (root with apt-get); otherwise says loudly what is missing.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || echo "WARNING: could not install ${need[*]}: the browser and Cosmos DB tests will be skipped with the reason, the Spark tests fail"
else
  echo "WARNING: ${need[*]} missing and cannot be installed here (not root or no apt-get):"
  echo "         the browser and Cosmos DB tests will be skipped with the reason, and the Spark tests fail without Java."
  echo "         Install them with your package manager."
fi
exit 0
