import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseServiceScript, REPO_ROOT, serviceArgs } from "../../scripts/service-command";

describe("service start commands (package.json start:* scripts, as the harnesses spawn them)", () => {
  it("places extra Node flags after the script's own flags and before the entry file", () => {
    expect(parseServiceScript("node --max-semi-space-size=64 --import tsx apps/worker/src/main.ts", ["--cpu-prof", "--require", "x.cjs"])).toEqual([
      "--max-semi-space-size=64",
      "--import",
      "tsx",
      "--cpu-prof",
      "--require",
      "x.cjs",
      "apps/worker/src/main.ts",
    ]);
  });

  it.each([
    ["tsx apps/worker/src/main.ts"],
    ["node"],
    ["node --import tsx apps/worker/src/main.js"],
    ["node --import tsx apps/worker/src/main.ts && echo done"],
    ["node --title='a b' apps/worker/src/main.ts"],
    [""],
  ])("refuses a script it could not run faithfully: %j", (script) => {
    expect(() => parseServiceScript(script)).toThrow(/start script/);
  });

  it.each(["ingress", "worker"] as const)("the %s's npm script runs its main.ts through tsx", (role) => {
    const args = serviceArgs(role);
    expect(args[args.length - 1]).toBe(`apps/${role}/src/main.ts`);
    expect(existsSync(join(REPO_ROOT, args[args.length - 1]))).toBe(true);
    expect(args.slice(0, -1)).toEqual(expect.arrayContaining(["--import", "tsx"]));
  });

  it("gives the worker a young generation sized for its allocation rate (docs/performance.md)", () => {
    expect(serviceArgs("worker")).toContain("--max-semi-space-size=64");
  });
});
