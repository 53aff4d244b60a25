import type { Config } from "jest";

// @swc/jest only strips types (fast); `npm run typecheck` type-checks the whole tree separately.
const config: Config = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/apps", "<rootDir>/test"],
  testMatch: ["**/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  maxWorkers: 2,
  testTimeout: 30_000,
};

export default config;
