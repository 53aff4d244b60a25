/**
 * How a service is started, read from its npm script (`start:ingress`, `start:worker` in
 * package.json), for the harnesses that spawn the services themselves (bench, fault scenarios,
 * crash tests): they then run exactly what production runs, Node's flags included.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type ServiceRole = "ingress" | "worker";

export const REPO_ROOT = join(__dirname, "..");

/**
 * The arguments to give `process.execPath` for `npm run start:<role>`, with extraNodeFlags (a CPU
 * profile, a preload) placed among Node's own flags, before the entry file.
 */
export function serviceArgs(role: ServiceRole, extraNodeFlags: readonly string[] = []): string[] {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  return parseServiceScript(scripts[`start:${role}`] ?? "", extraNodeFlags);
}

/** `node <flags…> <entry>` → [...flags, ...extraNodeFlags, entry]; anything else is refused. */
export function parseServiceScript(script: string, extraNodeFlags: readonly string[] = []): string[] {
  const words = script.trim().split(/\s+/);
  const entry = words[words.length - 1];
  if (words[0] !== "node" || words.length < 2 || !entry?.endsWith(".ts") || words.some((w) => /["'$`\\&|;<>()]/.test(w))) {
    throw new Error(`a service's start script must read "node <flags> <entry.ts>", got: ${script}`);
  }
  return [...words.slice(1, -1), ...extraNodeFlags, entry];
}
