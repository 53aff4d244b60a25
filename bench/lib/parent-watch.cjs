/**
 * Preloaded (`--require`) into every process the bench starts, platform processes included, so that
 * none outlives the bench: when the parent (the bench orchestrator) goes away, the process gets
 * SIGTERM (its own clean stop, which also writes --cpu-prof profiles), and is forced out 10 s later.
 * Touches nothing else in the process.
 */
"use strict";
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  try {
    process.kill(process.pid, "SIGTERM");
  } catch {}
  setTimeout(() => process.exit(1), 10_000).unref();
}, 500);
timer.unref();
