# One image for heardback's processes; the command picks the role:
#   python -m heardback.worker          the worker (default)
#   python -m heardback.gateway         the HTTP gateway
#   python -m heardback.gateway.codec   the codec server
#   heardback ...             the CLI
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 heardback
WORKDIR /app

# Dependencies first (pinned by constraints.txt), so code changes do not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
COPY heardback heardback
RUN pip install -c constraints.txt . \
    && mkdir -p /app/var \
    && chown heardback:heardback /app/var

# Worker Versioning: the build id is the git revision the image was built from
#   docker build --build-arg HEARDBACK_WORKER_BUILD_ID=$(git rev-parse --short HEAD) .
# Empty (the default): build id `dev`.
ARG HEARDBACK_WORKER_BUILD_ID=""
ENV HEARDBACK_WORKER_BUILD_ID=${HEARDBACK_WORKER_BUILD_ID}

USER heardback
EXPOSE 8000 8081 8090 9464
CMD ["python", "-m", "heardback.worker"]
