import { CallBatch, type BatchedCall } from "@topup/batching";
import { isDataError } from "./errors";

/**
 * The limits of every batched statement of the order path. Two statements of a kind in flight keep
 * the pool busy while calls pile up into them; one doubled the latency, four only split the batches.
 */
const MAX_CALLS_PER_STATEMENT = 200;
const MAX_STATEMENTS_IN_FLIGHT = 2;

/**
 * A CallBatch for one kind of statement. A statement that fails on the data of one row
 * (isDataError) is run again for each call alone, so one bad row never fails the calls it shared a
 * statement with; `keyOf` keeps calls for the same row out of one statement, and a later one waits
 * until the statement holding that row has finished (the first call made goes first).
 */
export function statementBatch<In, Out>(
  run: (calls: readonly BatchedCall<In, Out>[]) => Promise<void>,
  keyOf?: (input: In) => string,
): CallBatch<In, Out> {
  return new CallBatch<In, Out>({ run, keyOf, maxSize: MAX_CALLS_PER_STATEMENT, maxInFlight: MAX_STATEMENTS_IN_FLIGHT, isInputError: isDataError });
}

/**
 * The parameters of a batched statement that reads its input with unnest($1::…[], $2::…[], …):
 * one array per field, in the order given (the statement's column order), each holding that
 * field of every row.
 */
export function unnestColumns<Row>(rows: readonly Row[], fields: readonly (keyof Row)[]): unknown[][] {
  return fields.map((field) => rows.map((row) => row[field]));
}
