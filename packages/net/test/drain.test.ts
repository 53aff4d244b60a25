import { EventEmitter } from "node:events";
import { drainedOrClosed } from "../src/drain";

it("leaves no listener behind however often a stream is waited on", async () => {
  const stream = new EventEmitter();
  for (let i = 0; i < 50; i++) {
    const waited = drainedOrClosed(stream);
    stream.emit("drain");
    await waited;
  }
  expect(stream.listenerCount("close")).toBe(0);
  expect(stream.listenerCount("drain")).toBe(0);
});

it("resolves when the stream closes instead", async () => {
  const stream = new EventEmitter();
  const waited = drainedOrClosed(stream);
  stream.emit("close");
  await expect(waited).resolves.toBeUndefined();
  expect(stream.listenerCount("drain")).toBe(0);
});
