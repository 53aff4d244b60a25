# One image for both services and the migration step; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
COPY . .
RUN npm ci --no-audit && npm run generate
USER node
EXPOSE 8088 8089
CMD ["npm", "run", "start:ingress"]
