/**
 * Reads at most `maxBytes` of a response stream. The stream is consumed as it arrives and
 * destroyed once the cap is reached, so an answer of any size costs at most `maxBytes` of memory.
 */
import type { Readable } from "node:stream";

export interface BodySink {
  /** Bytes kept so far; readable by a caller that gives up before the stream ends. */
  chunks: Buffer[];
  bytes: number;
}

export interface BodyOutcome {
  /** The cap was reached and the rest of the answer was discarded. */
  capped: boolean;
  /** The stream failed before its end (reset, abort). */
  error: unknown;
}

export function readBounded(stream: Readable, maxBytes: number, sink: BodySink): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: BodyOutcome) => {
      if (settled) return;
      settled = true;
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.off("close", onClose);
      resolve(outcome);
    };
    const stopAtCap = () => {
      // Keep a no-op error listener: destroy() may still emit errors we no longer care about.
      stream.on("error", () => {});
      stream.destroy();
      settle({ capped: true, error: null });
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      const room = maxBytes - sink.bytes;
      const kept = buf.length > room ? buf.subarray(0, room) : buf;
      if (kept.length > 0) {
        sink.chunks.push(kept);
        sink.bytes += kept.length;
      }
      if (buf.length > room || sink.bytes >= maxBytes) stopAtCap();
    };
    const onEnd = () => settle({ capped: false, error: null });
    const onError = (err: unknown) => settle({ capped: false, error: err });
    const onClose = () => {
      // 'close' without 'end' means the answer was cut short.
      if (!stream.readableEnded) settle({ capped: false, error: Object.assign(new Error("response aborted"), { code: "ECONNRESET" }) });
    };

    if (maxBytes <= 0) return stopAtCap();
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}
