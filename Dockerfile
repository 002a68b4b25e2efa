# One image for every Dagster service of docker-compose.yml (code server, webserver, daemon) and
# the demo simulator. Dependencies come from uv.lock only (`uv sync --frozen`), with a pinned uv.
FROM python:3.11-slim

# Same uv as the Makefile's UV_VERSION.
ARG UV_VERSION=0.9.30

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    MPO_DATA_DIR=/data \
    MPO_LAKE_DIR=/data/lake \
    MPO_WAREHOUSE=/data/warehouse.duckdb \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    DO_NOT_TRACK=1

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && groupadd --system --gid 10001 mpo \
    && useradd --system --uid 10001 --gid mpo --home-dir /app --shell /usr/sbin/nologin mpo

WORKDIR /app

# Third-party dependencies first, in their own layer: rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

# The project itself (installed editable, so dbt_project/ stays next to the package).
COPY mpo_pipeline ./mpo_pipeline
COPY dbt_project ./dbt_project
COPY workspace.yaml ./workspace.yaml
RUN uv sync --frozen --no-dev

# Parse the dbt project at build time: the code server then loads the manifest instead of
# running dbt on every start (and the image fails to build if the dbt project does not parse).
RUN if [ -f dbt_project/packages.yml ]; then \
        dbt deps --project-dir dbt_project --profiles-dir dbt_project; \
    fi \
    && dbt parse --project-dir dbt_project --profiles-dir dbt_project --quiet

# The instance configuration (Postgres storage, queued runs, pools) from the repository.
COPY dagster.yaml ${DAGSTER_HOME}/dagster.yaml

# Writable places for the non-root user: the lake and warehouse volume, Dagster's local artifacts
# (compute logs) and dbt's target/ and logs/ directories.
RUN mkdir -p /data "${DAGSTER_HOME}/storage" \
    && chown -R mpo:mpo /data "${DAGSTER_HOME}" /app/dbt_project

USER mpo

EXPOSE 3000 4000

# Each compose service gives its own command; by default serve the code location.
CMD ["dagster", "code-server", "start", "-m", "mpo_pipeline.definitions", \
     "-h", "0.0.0.0", "-p", "4000", "--location-name", "mpo_pipeline"]
