# Tattletrail as a container: `docker compose up` runs it (see docker-compose.yml).
# An editable install keeps mappings/, searches/, checks/ and rules/ beside the package, where
# the code reads them from.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY tattletrail ./tattletrail
COPY mappings ./mappings
COPY searches ./searches
COPY checks ./checks
COPY rules ./rules
RUN pip install -e . \
 && useradd --create-home --uid 10001 tattletrail \
 && mkdir -p /data && chown tattletrail /data

USER tattletrail
ENV TATTLETRAIL_STORE=duckdb:///data/events.duckdb
ENTRYPOINT ["tattletrail"]
CMD ["--help"]
