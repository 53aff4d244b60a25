export { CallBatch, type BatchedCall, type CallBatchOptions } from "./call-batch";
