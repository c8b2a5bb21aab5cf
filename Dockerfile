# agentmux: multi-stage on Debian slim (glibc, for better-sqlite3's native build and claude's binary),
# on Node 24 LTS (Node 22.12+ works too; see package.json engines).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json build.mjs ./
COPY src ./src
COPY migrations ./migrations
COPY web ./web
# npm ci runs `prepare`, which bundles the daemon (dist/) and the page (web/dist); then drop the
# dev dependencies.
RUN npm ci && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    AGENTMUX_HOST=0.0.0.0 \
    AGENTMUX_PORT=7878 \
    AGENTMUX_DATA_DIR=/data \
    AGENTMUX_WORKSPACES_DIR=/workspaces \
    HOME=/home/node
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY --from=build /app/web/dist ./web/dist
# claude refuses bypassPermissions as root, and an agent with a shell should not be root anyway.
# Default workspaces on their own volume, outside the data dir (which holds the token).
RUN mkdir -p /data /workspaces && chown node:node /data /workspaces
USER node
VOLUME ["/data", "/workspaces"]
EXPOSE 7878
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:7878/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js", "serve"]
