# syntax=docker/dockerfile:1
# smpolicy: build a wheel in one stage, run it as a non-root user in a slim image.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY content ./content
RUN pip install --no-cache-dir --upgrade pip build \
 && python -m build --wheel --outdir /wheels \
 && pip wheel --no-cache-dir --wheel-dir /wheels /wheels/*.whl

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SMPOLICY_DATA_DIR=/data
RUN groupadd --system smpolicy && useradd --system --gid smpolicy --home-dir /nonexistent --shell /usr/sbin/nologin smpolicy \
 && mkdir -p /data && chown smpolicy:smpolicy /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels smpolicy-bot && rm -rf /wheels
USER smpolicy
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=2).status == 200 else 1)"]
STOPSIGNAL SIGTERM
CMD ["smpolicy", "serve", "--host", "0.0.0.0"]
