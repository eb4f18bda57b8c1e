# Koppelbot in a container: slim Python, an unprivileged user, the database on the /data volume, and a
# health check on /healthz. Build:  docker build -t koppelbot .    Run: compose.yaml, docs/operations.md.
# The image is multi-architecture through its base: the same file builds on amd64 and arm64 (Raspberry Pi).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY bot ./bot
COPY matching ./matching
COPY storage ./storage
RUN pip install -c constraints.txt .

RUN useradd --system --user-group --uid 10001 --home-dir /data --no-create-home koppelbot \
    && mkdir /data && chown koppelbot:koppelbot /data
USER koppelbot
WORKDIR /data
VOLUME ["/data"]

# The SQLite file lives on the volume (a postgresql:// DATABASE_URL in .env overrides it); /healthz and
# /metrics answer on port 8080 inside the container.
ENV DATABASE_URL=sqlite:////data/koppelbot.db \
    HEALTH_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 CMD ["koppelbot", "health"]
CMD ["koppelbot", "run"]
