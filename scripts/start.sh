#!/bin/sh
# Starts the app the way `make run` does, for the container and the app tests.
# - port: PORT, else WEBSITES_PORT (Azure App Service), else 8501;
# - the demo workspace is built (and monitored) only when MONITOR_DEMO is 1/true/yes/on;
# - extra arguments go to `streamlit run` (e.g. --secrets.files /path/secrets.toml).
set -eu
PORT="${PORT:-${WEBSITES_PORT:-8501}}"
PYTHON="${PYTHON:-python}"
cd "$(dirname "$0")/.."

case "$(echo "${MONITOR_DEMO:-0}" | tr '[:upper:]' '[:lower:]')" in
  1|true|yes|on)
    "$PYTHON" -m monitor demo
    "$PYTHON" -m monitor run || echo "monitoring job reported failures; the app shows what it has"
    ;;
esac

# Streamlit treats a folder named pages/ beside the entry point as an old-style multipage app until
# the first script run calls st.navigation, so the very first request after a start could open
# pages/<name>.py directly and skip the login gate. The app declares every page with st.navigation,
# so that mode is switched off before the server starts. Before it listens, the heavy libraries the
# pages use (MLflow, SciPy, SHAP, Plotly) are imported and the MLflow store is opened, so the first
# visitor does not wait for them; a backend that is down only skips that warm-up. (Only libraries: a
# Streamlit component imported before the server is up would not be served.)
exec "$PYTHON" -c '
import importlib, sys
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web.cli import main

def warm_up():
    for name in ("mlflow.tracking", "monitor.drift", "monitor.explain", "monitor.kpis", "monitor.lineage",
                 "plotly.express", "shap"):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    try:
        from monitor.bootstrap import build_service
        build_service().mlflow.ping()
    except Exception:
        pass

PagesManager.uses_pages_directory = False
warm_up()
sys.exit(main(prog_name="streamlit"))
' run streamlit_app.py \
  --server.port "$PORT" --server.address 0.0.0.0 --server.headless true --server.fileWatcherType none "$@"
