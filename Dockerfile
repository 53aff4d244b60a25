# One image for both services and the migration step; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
COPY . .
# tsx (the TypeScript runner of the start scripts) and the prisma CLI (client generation) are needed
# in the image, so install with dev dependencies; NODE_ENV only switches to production afterwards.
RUN npm ci --include=dev --no-audit && npm run generate
ENV NODE_ENV=production
USER node
EXPOSE 8088 8089
CMD ["npm", "run", "start:ingress"]
