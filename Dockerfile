# meshpilot runs its TypeScript sources through tsx (a runtime dependency): no build step.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# uid 1000 ("node" in the base image); deploy/ runs it non-root.
USER 1000:1000
EXPOSE 15010 15012 15014
ENTRYPOINT ["node", "bin/meshpilot.js"]
CMD ["serve", "--config", "/config/meshpilot.yaml"]
