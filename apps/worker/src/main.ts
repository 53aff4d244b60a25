import { createLogger, loadConfig, runService } from "@topup/config";
import { startWorker } from "./worker";

const logger = createLogger("worker");

runService("worker", logger, "stopping: finishing active jobs", () => startWorker(loadConfig(), logger));
