# reqtrack: `docker build -t reqtrack .`, then run it with SQLite in a volume:
#   docker run -p 8000:8000 -v reqtrack-data:/data -e REQTRACK_SECRET_KEY=... reqtrack
# or beside PostgreSQL with docker-compose.yml. Configuration is environment only.

# Build stage: the virtual environment, with pip and its caches left behind.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/reqtrack
RUN python -m venv /opt/venv
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY alembic ./alembic
# Editable: the app finds its migrations beside it, in /srv/reqtrack/alembic.
RUN /opt/venv/bin/pip install --no-compile -e .

# Runtime stage: the environment and the source, run by an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    REQTRACK_ENVIRONMENT=production \
    REQTRACK_DATA_DIR=/data \
    DATABASE_URL=sqlite:////data/reqtrack.db
RUN groupadd --system --gid 10001 reqtrack \
    && useradd --system --no-create-home --uid 10001 --gid 10001 reqtrack \
    && mkdir /data \
    && chown 10001:10001 /data
WORKDIR /srv/reqtrack
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/reqtrack /srv/reqtrack
USER 10001:10001
# SQLite's database (and nothing else) lives here; PostgreSQL users may ignore it.
VOLUME ["/data"]
EXPOSE 8000
# The slim image has no curl: Python asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# `serve` migrates the database, then listens; SIGTERM lets requests in flight finish.
CMD ["reqtrack", "serve", "--host", "0.0.0.0", "--port", "8000"]
