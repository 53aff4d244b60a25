import { createLogger, loadConfig } from "@topup/config";
import { startWorker } from "./worker";

const logger = createLogger("worker");

async function main(): Promise<void> {
  const worker = await startWorker(loadConfig(), logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping: finishing active jobs", { signal });
    worker.close().then(
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

main().catch((error: unknown) => {
  logger.error("worker failed to start", { error });
  process.exit(1);
});
