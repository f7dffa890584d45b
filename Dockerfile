# Tattletrail as a container: `docker compose up` runs it (see docker-compose.yml and docs/opensearch.md).
# Two stages: the first builds the wheel from the build context (.dockerignore leaves out the virtualenv,
# tests, bench, docs), the second installs that wheel and nothing of the source. The wheel carries the
# shipped packs and mappings as package data (tattletrail/shipped/, see setup.py and tattletrail/packs.py),
# so the image reads them exactly as a `pipx install` does. A user's own packs go in the config directory
# (/home/tattletrail/.config/tattletrail/{checks,rules,searches}, e.g. from `tattletrail init`).
FROM python:3.12-slim AS wheel

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=wheel /wheels /wheels
RUN pip install /wheels/tattletrail-*.whl \
 && rm -rf /wheels \
 && useradd --create-home --uid 10001 tattletrail \
 && mkdir -p /data /home/tattletrail/.local/share/tattletrail /home/tattletrail/.config/tattletrail \
 && chown -R tattletrail /data /home/tattletrail/.local /home/tattletrail/.config

USER tattletrail
WORKDIR /data
ENV TATTLETRAIL_STORE=duckdb:///data/events.duckdb
ENTRYPOINT ["tattletrail"]
CMD ["--help"]
