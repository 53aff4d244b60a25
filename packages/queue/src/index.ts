export { createWorkerConnection, createProducerConnection, type Redis } from "./connection";
export {
  QueueName,
  WORKER_LOCKING,
  fulfilmentJobId,
  callbackJobId,
  stepsOf,
  roundsOf,
  requestIdsOf,
  type FulfilmentJob,
  type FulfilmentStep,
  type CallbackJob,
  type CallbackRound,
} from "./jobs";
export { WorkQueues, type WorkQueuesOptions } from "./work-queues";
export { checkEvictionPolicy, evictionPolicy } from "./eviction-policy";
