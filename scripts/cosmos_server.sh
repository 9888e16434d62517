#!/usr/bin/env bash
# Run a local Cosmos DB-compatible server (@vercel/cosmosdb-server) for development.
# Usage: scripts/cosmos_server.sh [port]   (default 8081; stop with Ctrl-C)
# Then: MONITOR_STORE=cosmos MONITOR_COSMOS_ENDPOINT=https://127.0.0.1:8081 MONITOR_COSMOS_VERIFY_TLS=false \
#       MONITOR_COSMOS_KEY=<the emulator key, see docs/azure.md>
# Data lives in memory only and is gone when the server stops.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8081}"
cache=".cache/cosmosdb-server"
package="$cache/node_modules/@vercel/cosmosdb-server"
if [ ! -f "$package/lib/cli.js" ]; then
  npm install --prefix "$cache" --no-audit --no-fund --no-save @vercel/cosmosdb-server@1.0.1
fi
exec node tests/peers/cosmos_server.js "$package" "$port"
