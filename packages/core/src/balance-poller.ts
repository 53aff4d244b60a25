import type { Logger } from "@topup/config";
import type { ChannelRepository } from "@topup/db";
import type { ChannelDirectory } from "./channel-directory";

export interface BalancePollerOptions {
  /** How often each channel's balance is read (default 60 s; 0: never); a read is claimed for everyMs − everyMs/12 (55 s of 60). */
  everyMs?: number;
  /** How long one read may take before it counts as failed (default 10 s). */
  timeoutMs?: number;
  clock?: () => number;
}

export interface BalancePoll {
  /** The channels this process read (claimed and answered), and those whose read failed. */
  read: string[];
  failed: string[];
}

/**
 * Reads the balance of every enabled channel whose client has balance() (upstream suppliers) about
 * once a minute and stores it for routing (PROTOCOL §12: eligible while the last known balance
 * covers the face value) and the admin API. With several workers, each read is claimed first with a
 * conditional UPDATE (ChannelRepository.claimBalanceRead), so one process reads each channel per
 * period. A failed read is logged and leaves the last known balance, and its time, as they were.
 */
export class BalancePoller {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> = Promise.resolve();
  private readonly clock: () => number;

  constructor(
    private readonly directory: ChannelDirectory,
    private readonly channels: ChannelRepository,
    private readonly logger: Logger,
    private readonly options: BalancePollerOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  get everyMs(): number {
    return this.options.everyMs ?? 60_000;
  }

  async pollOnce(): Promise<BalancePoll> {
    const snapshot = await this.directory.current();
    const at = new Date(this.clock());
    const claimMs = this.everyMs - this.everyMs / 12;
    const result: BalancePoll = { read: [], failed: [] };
    await Promise.all(
      [...snapshot.channels].map(async ([code, channel]) => {
        if (!channel.balance || !snapshot.standings.get(code)?.enabled) return;
        if (!(await this.channels.claimBalanceRead(code, at, claimMs))) return; // another process has it
        try {
          const balance = await this.withTimeout(channel.balance());
          if (balance === null) throw new Error("balance not known now");
          await this.channels.storeBalance(code, balance, new Date(this.clock()));
          result.read.push(code);
        } catch (error) {
          // The message only: an error object may carry a request, and with it a signature.
          this.logger.warn("channel balance read failed; keeping the last known balance", { channel: code, error: (error as Error)?.message ?? String(error) });
          result.failed.push(code);
        }
      }),
    );
    return result;
  }

  /**
   * Polls every everyMs (0: never) until stop(); one poll at a time. Not at once: the balances
   * known are in the database, and a read of the channel directory as the worker starts would be
   * the snapshot its first orders route by (a route created just then could be missed for the
   * directory's fresh-read margin, ChannelDirectory.fresh).
   */
  start(): void {
    if (this.timer || this.everyMs === 0) return;
    const poll = () => {
      this.polling = this.polling.then(() => this.pollOnce()).catch((error: unknown) => this.logger.warn("balance poll failed", { error: (error as Error)?.message }));
    };
    this.timer = setInterval(poll, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  private async withTimeout<T>(read: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
    try {
      return await Promise.race([read, late]);
    } finally {
      clearTimeout(timer);
      read.catch(() => undefined);
    }
  }
}
