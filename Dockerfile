# Tattletrail as a container: `docker compose up` runs it (see docker-compose.yml and docs/opensearch.md).
# The whole build context is copied (.dockerignore leaves out the virtualenv, tests, bench, docs): the
# data folders the code reads beside the package (mappings/, searches/, checks/, rules/) come along
# whichever of them exist, and an editable install keeps them where the code looks for them.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY . .
RUN pip install -e . \
 && useradd --create-home --uid 10001 tattletrail \
 && mkdir -p /data /home/tattletrail/.local/share/tattletrail /home/tattletrail/.config/tattletrail \
 && chown -R tattletrail /data /home/tattletrail/.local /home/tattletrail/.config

USER tattletrail
ENV TATTLETRAIL_STORE=duckdb:///data/events.duckdb
ENTRYPOINT ["tattletrail"]
CMD ["--help"]
