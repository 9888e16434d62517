# MLOps Monitor for Azure App Service (Linux containers).
#   docker build -t mlops-monitor .                 (or: az acr build, see docs/deploy.md)
#   docker run -p 8501:8501 -e MONITOR_DEMO=1 mlops-monitor
# Settings come from the environment (App Service app settings, MONITOR_*) or a secrets.toml
# mounted at run time; nothing secret is baked into the image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_WORKSPACE=/data/monitor

# An unprivileged user; the workspace (embedded MLflow and snapshot store) is the only place it writes.
RUN groupadd --gid 10001 monitor \
    && useradd --uid 10001 --gid monitor --create-home --shell /usr/sbin/nologin monitor \
    && mkdir -p /data/monitor \
    && chown -R monitor:monitor /data

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

# The code stays owned by root, read-only for the app user.
COPY . .

USER 10001:10001

# App Service passes the port in PORT or WEBSITES_PORT (scripts/start.sh reads both); 8501 otherwise.
# The start period leaves time for MONITOR_DEMO=1 to build the demo workspace before the server starts.
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('PORT') or os.environ.get('WEBSITES_PORT') or '8501'; urllib.request.urlopen(f'http://127.0.0.1:{port}/_stcore/health', timeout=4)"]

# The same start command as `make run` and the app tests; MONITOR_DEMO=1 builds the demo workspace first.
CMD ["sh", "scripts/start.sh"]
