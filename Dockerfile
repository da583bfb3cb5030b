# The image every Deployment in deploy/ runs. Not built in CI here (no Docker
# engine on the build machines); kept minimal so it is easy to audit, and its
# rules are checked by scripts/deploy.test.ts.
# Node 24 (LTS); the code also runs on Node 22 and 26, and on 20 (end of life).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY scripts ./scripts
COPY web ./web
COPY src ./src
COPY tsconfig.json ./
# The console is built into the image (web/dist), so the container serves it at /.
RUN node --import tsx scripts/build-web.ts
# The embedded default keeps its PGlite files in DATA_DIR: the unprivileged user
# must own it, or the first start fails to create it. Mount a volume here to keep
# data across containers (the scaled mode keeps none: its state is in PostgreSQL).
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
# 3000: HTTP (API, console, metrics); 8081: the rate limiter's Envoy RLS gRPC server.
EXPOSE 3000 8081
# SIGTERM goes straight to node (no shell), which drains and exits within SHUTDOWN_TIMEOUT_MS.
CMD ["node", "--import", "tsx", "src/main.ts"]
