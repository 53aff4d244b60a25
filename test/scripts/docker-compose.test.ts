import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

// docker-compose.yml must be valid for Docker Compose. There is no Docker engine here, so Debian's
// `docker-compose config` (validation only) is what can be checked. A missing tool is a failure,
// not a skip: scripts/ensure-deps.sh installs it.
const ROOT = path.resolve(__dirname, "../..");
const FILE = path.join(ROOT, "docker-compose.yml");

function compose(args: string[], file = FILE) {
  return spawnSync("docker-compose", ["-f", file, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ADMIN_TOKEN: "" } });
}

it("docker-compose is installed", () => {
  expect(() => execFileSync("docker-compose", ["--version"], { encoding: "utf8" })).not.toThrow();
});

it("docker-compose config -q accepts docker-compose.yml", () => {
  const run = compose(["config", "-q"]);
  expect(run.error).toBeUndefined();
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
});

it("rejects a broken file (the check can fail)", () => {
  const broken = path.join(require("node:os").tmpdir(), `compose-broken-${process.pid}.yml`);
  require("node:fs").writeFileSync(broken, readFileSync(FILE, "utf8").replace("condition: service_healthy", "condition: service_sleepy"));
  const run = compose(["config", "-q"], broken);
  expect(run.status).not.toBe(0);
});

it("has the services, health checks and depends_on conditions of issue 19", () => {
  const run = compose(["config"]);
  expect(run.status).toBe(0);
  const config = run.stdout;
  for (const service of ["postgres", "redis", "migrate", "ingress", "worker", "mock-operator"]) expect(config).toMatch(new RegExp(`^  ${service}:$`, "m"));
  expect(config).toContain("--appendonly");
  expect(config).toContain("noeviction");
  expect(config).toContain("service_completed_successfully");
  expect(config).toContain("http://127.0.0.1:8090/readyz");
  expect(config).toContain("http://127.0.0.1:8089/readyz");
  const worker = /^  worker:\n([\s\S]*?)(?=^  \S)/m.exec(config)?.[1] ?? "";
  expect(worker).toContain("healthcheck:");
  expect(worker).not.toMatch(/^    ports:/m); // --scale worker=3 needs no fixed host ports
});
