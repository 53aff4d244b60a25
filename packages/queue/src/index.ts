export { createWorkerConnection, createProducerConnection, type Redis } from "./connection";
export {
  QueueName,
  CALLBACK_ATTEMPTS,
  WORKER_LOCKING,
  fulfilmentJobId,
  callbackJobId,
  stepsOf,
  type FulfilmentJob,
  type FulfilmentStep,
  type CallbackJob,
} from "./jobs";
export { WorkQueues, type WorkQueuesOptions } from "./work-queues";
