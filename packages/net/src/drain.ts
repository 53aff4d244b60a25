import type { EventEmitter } from "node:events";

/**
 * Waits until a stream that refused a write takes more ("drain") or goes away ("close"), and removes
 * both listeners either way: a long export waits thousands of times on one response.
 */
export function drainedOrClosed(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done).off("close", done);
      resolve();
    };
    stream.once("drain", done).once("close", done);
  });
}
