# MLOps Monitor for Azure App Service (Linux). Build: docker build -t mlops-monitor .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_WORKSPACE=/home/monitor/.monitor

WORKDIR /app

# Dependencies first, in their own layer, so code changes do not reinstall them.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

RUN useradd --create-home --uid 1000 monitor
COPY --chown=monitor:monitor . .
USER monitor

# App Service passes the port in PORT or WEBSITES_PORT; 8501 otherwise.
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_stcore/health' % (os.environ.get('PORT') or os.environ.get('WEBSITES_PORT') or '8501'), timeout=4)"

CMD ["sh", "scripts/start.sh"]
