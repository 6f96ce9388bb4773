# One image for every sopdesk service: `sopdesk serve <service>` picks which.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY sopdesk ./sopdesk
RUN pip install . && useradd --system --uid 10001 sopdesk
USER sopdesk

ENV SOPDESK_HOST=0.0.0.0
EXPOSE 8001 8002 8003 8004 8005
ENTRYPOINT ["sopdesk"]
CMD ["--help"]
