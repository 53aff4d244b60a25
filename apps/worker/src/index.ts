export { startWorker, CallbackNotAcknowledged, CLOSE_GRACE_MS, type WorkerService, type WorkerOptions } from "./worker";
