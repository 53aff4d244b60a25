import type { Logger } from "./logger";

/** What a service's start resolves to: the one way to stop it. */
export interface Stoppable {
  close(): Promise<void>;
}

/** How long a stop asked for during the start waits for it to finish (Redis may be unreachable). */
export const START_WAIT_MS = 20_000;

/**
 * Runs a service process: starts it, and on SIGTERM or SIGINT closes it and exits 0 (1 when the
 * close fails). The signals are taken before the start finishes: a worker answers its health
 * checks, and its queue workers may hold jobs, while it still waits for Redis, and the default
 * action would end it there mid-job. A stop asked for during the start waits for it at most
 * `startWaitMs`, then exits 1.
 */
export function runService(
  role: string,
  logger: Logger,
  stoppingMessage: string,
  start: () => Promise<Stoppable>,
  startWaitMs = START_WAIT_MS,
): void {
  const started = Promise.resolve().then(start); // a start that throws (a bad setting) is a rejection too
  started.catch((error: unknown) => {
    logger.error(`${role} failed to start`, { error });
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(stoppingMessage, { signal });
    const unstarted = setTimeout(() => {
      logger.warn(`${role} still starting ${startWaitMs} ms after ${signal}: exiting without a clean stop`);
      process.exit(1);
    }, startWaitMs);
    started
      .then((service) => {
        clearTimeout(unstarted);
        return service.close();
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("unclean stop", { error });
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
