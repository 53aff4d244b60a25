export { startWorker, CallbackNotAcknowledged, type WorkerService, type WorkerOptions } from "./worker";
