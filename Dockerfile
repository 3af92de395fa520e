# One image for every liaison process; docker-compose.yml picks the command.
# The web front end's assets (NHS.UK frontend, htmx) from the npm registry, as package-lock.json pins them.
FROM node:22-slim AS web-assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

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
COPY web ./web
COPY --from=web-assets /assets/node_modules ./node_modules
RUN pip install . \
    && useradd --create-home --uid 10001 liaison
USER liaison

# Listen on all interfaces inside the container; compose publishes the ports.
ENV WEB_ASSETS_DIR=/app/node_modules \
    HOST=0.0.0.0 \
    HL7_MLLP_HOST=0.0.0.0
EXPOSE 8000 2575
CMD ["liaison", "api"]
