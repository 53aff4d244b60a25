/**
 * Runs every piece of work side by side and waits for all of them, so that their statements share
 * round trips (CallBatch); then throws the first error, if any, or returns every result in order.
 * A job of several orders fails once all of them have run: a retry finds the finished ones done.
 */
export async function allThenFirstError<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
