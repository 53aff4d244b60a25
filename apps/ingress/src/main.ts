import { createLogger, loadConfig, runService } from "@topup/config";
import { startIngress } from "./ingress";

const logger = createLogger("ingress");

runService("ingress", logger, "stopping: no new connections, finishing in-flight requests", () => startIngress(loadConfig(), logger));
