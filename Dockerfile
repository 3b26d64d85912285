# The newsstream service image: one image, one command per container
# (poller, processors, recogniser, api); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies and code first, sample data after: editing seeds/ keeps the install layer.
COPY pyproject.toml README.md ./
COPY contract ./contract
COPY ingest ./ingest
COPY search ./search
COPY processors ./processors
COPY newsstream ./newsstream
# Editable, so the code finds the gazetteer, topic lists and watchlist in /app/seeds;
# the ner extra (CRFsuite) is what the recogniser runs (without the lexicons of
# deploy/lexicons, which need Debian's frogdata and a JDK with Maven).
RUN pip install -e '.[ner]' && pip check

COPY seeds ./seeds
COPY deploy/docker/healthcheck.py ./deploy/docker/healthcheck.py

RUN useradd --create-home --uid 10001 newsstream \
    && mkdir -p /data \
    && chown newsstream /data
USER newsstream

ENV NEWSSTREAM_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000

CMD ["newsstream", "--help"]
