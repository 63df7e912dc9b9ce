# Minimal image: one process, SQLite in a volume unless DATABASE_URL points at PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /srv/reqtrack
RUN useradd --system --create-home --uid 10001 reqtrack

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY alembic ./alembic
RUN pip install --no-compile -e . && mkdir -p var && chown reqtrack:reqtrack var

USER reqtrack
VOLUME ["/srv/reqtrack/var"]
EXPOSE 8000
# `serve` migrates the database before it listens.
CMD ["reqtrack", "serve", "--host", "0.0.0.0", "--port", "8000"]
