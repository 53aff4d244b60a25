import winston from "winston";
import Transport from "winston-transport";
import { createLogger } from "@topup/config";

/** A winston transport keeping every formatted line in memory. */
export class Capture extends Transport {
  readonly lines: string[] = [];
  override log(info: Record<symbol, string>, next: () => void): void {
    this.lines.push(info[Symbol.for("message")]);
    next();
  }
}

/** The production logger's format (createLogger), writing into `capture` at debug level. */
export function capturingLogger(capture: Capture): winston.Logger {
  const production = createLogger("test", "debug");
  return winston.createLogger({ level: "debug", format: production.format, transports: [capture] });
}
