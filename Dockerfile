# One image for every liaison process; docker-compose.yml picks the command.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY services ./services
COPY worker ./worker
COPY bot ./bot
RUN pip install . \
    && useradd --create-home --uid 10001 liaison
USER liaison

# Listen on all interfaces inside the container; compose publishes the ports.
ENV HOST=0.0.0.0 \
    HL7_MLLP_HOST=0.0.0.0
EXPOSE 8000 2575
CMD ["liaison", "api"]
