#!/usr/bin/env node
// Generates the Prisma client into packages/db/src/generated/prisma.
// The prisma CLI wants a native schema engine at start-up even though `generate` never uses it; where
// that engine cannot be downloaded, pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets
// `generate` run. Never rely on `prisma migrate deploy` under that setting: use `npm run migrate`.
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
const cli = path.join(__dirname, "..", "node_modules", "prisma", "build", "index.js");
const result = spawnSync(process.execPath, [cli, "generate"], { stdio: "inherit", env, cwd: path.join(__dirname, "..") });
process.exit(result.status ?? 1);
