#!/bin/sh
# Starts the app the way `make run` does. The demo workspace is built only when MONITOR_DEMO=1.
set -e
PORT="${PORT:-${WEBSITES_PORT:-8501}}"
PYTHON="${PYTHON:-python}"
case "${MONITOR_DEMO:-0}" in
  1|true|yes)
    "$PYTHON" -m monitor demo
    "$PYTHON" -m monitor run || echo "monitoring job reported failures; the app shows what it has"
    ;;
esac
exec "$PYTHON" -m streamlit run streamlit_app.py --server.port "$PORT" --server.address 0.0.0.0 --server.headless true
