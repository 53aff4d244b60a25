/**
 * The callback sender (PROTOCOL §7): one POST per attempt, redirects never followed, at most
 * maxBodyBytes of the answer read, one deadline over connect + headers + body, and only to
 * allowed destinations. post() never throws; every outcome is a DeliveryResult.
 */
import http, { type ClientRequest } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { CALLBACK_TIMEOUT_MS } from "@topup/protocol";
import axios, { type AxiosInstance } from "axios";
import { normalizeIp } from "./address";
import type { AddressMatcher } from "./address-matcher";
import { callbackHost, isAllowedDestination } from "./destination";
import { describeError } from "./errors";
import { GuardedHttpAgent, GuardedHttpsAgent, MAX_SOCKETS_PER_HOST } from "./guarded-agent";
import { systemLookupAll, type LookupAll } from "./lookup";
import { readBounded, type BodySink } from "./read-body";
import { Slots } from "./slots";

export interface DeliveryResult {
  /** When the attempt began: once it had its slot (maxInFlight), so the deadline is all its own. */
  startedAt: Date;
  /** null when no HTTP answer was received. */
  httpStatus: number | null;
  /** At most maxBodyBytes of the answer, decoded as UTF-8 ("" when none). */
  body: string;
  latencyMs: number;
  /** Short reason when the exchange failed; a 3xx or 5xx answer is not an error. */
  error: string | null;
  /** The address actually connected to. */
  remoteAddress: string | null;
}

export interface CallbackHttpClientOptions {
  allowed: AddressMatcher;
  timeoutMs?: number;
  maxBodyBytes?: number;
  lookup?: LookupAll;
  /**
   * Posts in flight at most (default MAX_SOCKETS_PER_HOST); later ones wait before they begin. A
   * callback job holds many rounds: without this, the posts beyond the agent's sockets for one host
   * would wait inside the agent while their deadline ran, and time out undialled behind a slow
   * receiver; and an operator would get a burst of every round the worker holds.
   */
  maxInFlight?: number;
}

/** Progress of one exchange, kept outside its promise so the deadline can report it. */
interface Exchange {
  status: number | null;
  remoteAddress: string | null;
  request: ClientRequest | null;
  stream: Readable | null;
  sink: BodySink;
}

type Outcome = Omit<DeliveryResult, "latencyMs" | "startedAt">;

const CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8";

/** UTF-8 text of the bytes read; a multi-byte character cut off by the cap is dropped, not mangled. */
function decode(sink: BodySink): string {
  return new StringDecoder("utf8").write(Buffer.concat(sink.chunks, sink.bytes));
}

function peerOf(request: unknown): string | null {
  const socket = (request as ClientRequest | null | undefined)?.socket;
  const address = socket?.remoteAddress;
  return typeof address === "string" ? normalizeIp(address) : null;
}

export class CallbackHttpClient {
  private readonly allowed: AddressMatcher;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly httpAgent: GuardedHttpAgent;
  private readonly httpsAgent: GuardedHttpsAgent;
  private readonly axios: AxiosInstance;
  private readonly inFlight: Slots;
  private closed = false;

  constructor(opts: CallbackHttpClientOptions) {
    this.allowed = opts.allowed;
    this.timeoutMs = opts.timeoutMs ?? CALLBACK_TIMEOUT_MS;
    this.maxBodyBytes = opts.maxBodyBytes ?? 1024;
    this.inFlight = new Slots(opts.maxInFlight ?? MAX_SOCKETS_PER_HOST);
    const guard = { allowed: opts.allowed, lookup: opts.lookup ?? systemLookupAll };
    this.httpAgent = new GuardedHttpAgent(guard);
    this.httpsAgent = new GuardedHttpsAgent(guard);
    this.axios = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      proxy: false, // never route callbacks through HTTP(S)_PROXY from the environment
      maxRedirects: 0, // a 3xx is the answer; following it would escape the destination check
      validateStatus: () => true,
      responseType: "stream",
      headers: { "Content-Type": CONTENT_TYPE, "User-Agent": "topup-callback/1" },
    });
  }

  /**
   * One attempt, once a slot is free. Never rejects once started; a post still waiting for its slot
   * when stopStarting() is called rejects with SlotsClosedError: nothing was sent, nothing to record.
   */
  post(url: string, formBody: string): Promise<DeliveryResult> {
    return this.inFlight.run(() => this.attempt(url, formBody));
  }

  /**
   * For a stop: posts already sent run to their end (answer or deadline); no other starts. A worker
   * holding jobs of many rounds then hands the unsent ones back within one attempt's deadline.
   */
  stopStarting(): void {
    this.inFlight.close();
  }

  private async attempt(url: string, formBody: string): Promise<DeliveryResult> {
    const startedAt = new Date();
    const started = performance.now();
    const done = ({ httpStatus, body, error, remoteAddress }: Outcome): DeliveryResult => ({
      httpStatus, body, error, remoteAddress, startedAt, latencyMs: Math.round(performance.now() - started),
    }); // not `{ ...outcome, startedAt, … }`: a spread followed by new keys costs V8 ~0.6 µs a key
    const failure = (error: string): DeliveryResult => done({ httpStatus: null, body: "", error, remoteAddress: null });

    try {
      if (this.closed) return failure("client closed");
      const host = callbackHost(url);
      if (host === null) return failure("invalid callback url");
      // Node skips `lookup` for IP literals, so those are checked here, before anything is dialled.
      const literal = normalizeIp(host);
      if (literal !== null && !isAllowedDestination(literal, this.allowed)) return failure(`refused destination ${literal}`);

      const exchange: Exchange = { status: null, remoteAddress: null, request: null, stream: null, sink: { chunks: [], bytes: 0 } };
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), this.timeoutMs);
      });
      const work = this.exchange(url, formBody, controller.signal, exchange);
      const first = await Promise.race([work, deadline]);
      clearTimeout(timer);
      if (first !== "deadline") return done(first);

      // Deadline: stop everything in flight and report what had arrived.
      controller.abort();
      exchange.stream?.destroy();
      exchange.request?.destroy();
      return done({
        httpStatus: exchange.status,
        body: decode(exchange.sink),
        error: `timeout after ${this.timeoutMs} ms`,
        remoteAddress: exchange.remoteAddress ?? peerOf(exchange.request),
      });
    } catch (err) {
      return failure(describeError(err));
    }
  }

  /** One request and its bounded body read; resolves (never rejects) with the outcome. */
  private async exchange(url: string, formBody: string, signal: AbortSignal, ex: Exchange): Promise<Outcome> {
    try {
      const res = await this.axios.post<Readable>(url, formBody, { signal, transport: this.transportFor(ex) });
      ex.status = res.status;
      ex.remoteAddress ??= peerOf(res.request);
      ex.stream = res.data;
      const read = await readBounded(res.data, this.maxBodyBytes, ex.sink);
      // The unread rest makes the connection unusable for keep-alive: close it.
      if (read.capped) ex.request?.destroy();
      return {
        httpStatus: res.status,
        body: decode(ex.sink),
        error: read.error ? describeError(read.error) : null,
        remoteAddress: ex.remoteAddress,
      };
    } catch (err) {
      const request = (err as { request?: unknown } | null)?.request;
      return { httpStatus: null, body: "", error: describeError(err), remoteAddress: ex.remoteAddress ?? peerOf(request) };
    }
  }

  /**
   * Node's own http/https request, wrapped only to see the ClientRequest as soon as it exists:
   * the deadline must be able to destroy it, and the peer address is recorded on connect even
   * when no answer ever comes. (maxRedirects is 0, so axios would pick the same functions.)
   */
  private transportFor(ex: Exchange): { request: typeof http.request } {
    const record = (socket: Socket) => {
      const note = () => (ex.remoteAddress ??= socket.remoteAddress ? normalizeIp(socket.remoteAddress) : null);
      if (socket.remoteAddress) note();
      else socket.once("connect", note);
    };
    const request = ((options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
      const transport = options.protocol === "https:" ? https : http;
      const req = transport.request(options, callback);
      ex.request = req;
      req.once("socket", record);
      return req;
    }) as typeof http.request;
    return { request };
  }

  /** Destroys the keep-alive agents (and their sockets); later posts fail fast. */
  close(): void {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
