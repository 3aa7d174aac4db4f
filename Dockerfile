# syntax=docker/dockerfile:1
#
# One image for every Clickstream app. APP chooses the entry point when the container starts:
#   ingest | aggregator | gateway  -> one app alone; needs KAFKA_BROKERS and a ClickHouse server (CLICKHOUSE_URL)
#   standalone (default)           -> npm start's supervisor: every app as a process of its own; in this image it
#                                     needs KAFKA_BROKERS and CLICKHOUSE_URL, because the broker and ClickHouse
#                                     server it can start itself run on Java, which is not installed here.
#   docker build -t clickstream:local .
#   docker run --rm -e APP=ingest -e KAFKA_BROKERS=kafka:9092 -e CLICKHOUSE_URL=http://clickhouse:8123 -p 3001:3001 clickstream:local

FROM node:22-bookworm-slim AS build
WORKDIR /app
# dependencies first, so that a source change does not reinstall them
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY infra ./infra
COPY scripts ./scripts
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
# the libs find the project root by walking up to the folder holding infra/kafka/pom.xml and package.json
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/infra ./infra
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# code stays owned by root (read-only for the app); only the data and cache folders are writable
RUN mkdir -p .data .cache && chown node:node .data .cache
USER node
ARG APP=standalone
ENV APP=$APP
EXPOSE 3000 3001
# exec: node becomes PID 1 and receives SIGTERM itself, so the apps shut down cleanly (drain, commit offsets)
CMD ["sh", "-c", "exec node dist/apps/$APP/src/main.js"]
