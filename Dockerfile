# syntax=docker/dockerfile:1
# smpolicy: dependencies from requirements.lock (pinned, with hashes) and the app's own wheel in a venv,
# built in one stage and run in a slim image as the numeric non-root user 10001:10001.
#
#   docker build --build-arg VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])') \
#                --build-arg REVISION=$(git rev-parse HEAD) -t smpolicy .
#
# The report key is a secret: mount it (or pass SMPOLICY_REPORT_KEY) separately from the /data volume.
# See README, "Docker".

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies first (a layer that changes only with the lock): every file is checked against its sha256.
COPY requirements.lock ./
RUN python -m venv /opt/smpolicy \
 && /opt/smpolicy/bin/pip install --require-hashes --only-binary=:all: -r requirements.lock
# Then the app itself; --no-deps: it brings nothing the lock didn't pin.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY content ./content
RUN /opt/smpolicy/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/smpolicy/bin/pip install --no-deps /wheels/*.whl \
 && /opt/smpolicy/bin/smpolicy --version

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="smpolicy" \
      org.opencontainers.image.description="Chat bot for Slack, Microsoft Teams and a local web chat that answers questions about an organization's social media guidelines, checks draft posts, takes anonymous reports and runs quizzes." \
      org.opencontainers.image.source="https://github.com/smpolicy/smpolicy" \
      org.opencontainers.image.url="https://github.com/smpolicy/smpolicy" \
      org.opencontainers.image.documentation="https://github.com/smpolicy/smpolicy/blob/main/README.md" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/smpolicy/bin:$PATH \
    SMPOLICY_DATA_DIR=/data \
    SMPOLICY_CACHE_DIR=/data/cache
# A numeric UID/GID, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --gid 10001 smpolicy \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin smpolicy \
 && mkdir -p /data && chown 10001:10001 /data && chmod 0700 /data
COPY --from=build /opt/smpolicy /opt/smpolicy
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=2).status == 200 else 1)"]
STOPSIGNAL SIGTERM
CMD ["smpolicy", "serve", "--host", "0.0.0.0"]
