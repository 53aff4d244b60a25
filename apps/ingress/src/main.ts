import { createLogger, loadConfig } from "@topup/config";
import { startIngress } from "./ingress";

const logger = createLogger("ingress");

async function main(): Promise<void> {
  const ingress = await startIngress(loadConfig(), logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping: no new connections, finishing in-flight requests", { signal });
    ingress.close().then(
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
  logger.error("ingress failed to start", { error });
  process.exit(1);
});
