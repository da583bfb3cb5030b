# The image every Deployment in deploy/ runs. Not built in CI here (no Docker
# engine on the build machines); kept minimal so it is easy to audit.
FROM node:20-bookworm-slim
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
USER node
# 3000: HTTP (API, console, metrics); 8081: the rate limiter's Envoy RLS gRPC server.
EXPOSE 3000 8081
# SIGTERM goes straight to node (no shell), which drains and exits within SHUTDOWN_TIMEOUT_MS.
CMD ["node", "--import", "tsx", "src/main.ts"]
