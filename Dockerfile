# One image, any role: `node dist/bin/start.js --services <list>`.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# npm ci runs the `prepare` script, which compiles: the sources must be in place first.
COPY package.json package-lock.json tsconfig.json moleculer.config.ts ./
COPY scripts scripts
COPY bin bin
COPY entities entities
COPY services services
COPY src src
COPY types types
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY services/dashboard.html services/api-docs.html services/
USER node
EXPOSE 3000
ENTRYPOINT ["node", "--max-semi-space-size=128", "dist/bin/start.js"]
