/**
 * The operations CLI: admin commands over the admin HTTP API (never the database, so
 * there is one way to do each thing), `sign` over @topup/protocol's functions, an operator client
 * and a mock callback receiver. Errors are one clear line on stderr and a non-zero exit code.
 */
import http from "node:http";
import { Argument, Command, CommanderError, Option } from "commander";
import {
  balanceQuerySign,
  callbackSign,
  orderPushSign,
  orderQuerySign,
  responseDataSign,
  signMatches,
} from "@topup/protocol";

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A failure the user can act on: printed as one line, never with a stack trace. */
export class CliError extends Error {}

interface GlobalOptions {
  json?: boolean;
  adminUrl?: string;
  adminToken?: string;
}

type Json = any;

/** Runs one command line (argv without node and script); resolves to the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help); only the code is left to give.
      return error.code === "commander.helpDisplayed" || error.code === "commander.help" || error.code === "commander.version" ? 0 : error.exitCode || 1;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function buildProgram(io: CliIo): Command {
  const program = new Command("topup");
  program
    .description("Operations CLI of the top-up platform (docs/operations.md)")
    .option("--json", "print JSON (for scripts) instead of human-readable text")
    .option("--admin-url <url>", "admin API base URL (env ADMIN_URL, default http://127.0.0.1:8089)")
    .option("--admin-token <token>", "admin API bearer token (env ADMIN_TOKEN)")
    .showHelpAfterError();
  // Every command, subcommands included, reports through io and throws instead of exiting.
  const configure = (cmd: Command): Command =>
    cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  configure(program);

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
  const out = (cmd: Command, value: Json, human: (value: Json) => string): void => {
    io.stdout(globals(cmd).json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
  };
  const admin = (cmd: Command) => adminClient(globals(cmd), io.env);

  // --- operator -------------------------------------------------------------------------------
  const operator = configure(program.command("operator").description("operators (上游运营商): create, list, show, rotate-key"));
  configure(operator.command("create").description("create an operator; prints its uid and md5key (the only time with rotate-key)"))
    .requiredOption("--name <name>", "operator name")
    .option("--uid <uid>", "uid (generated when omitted: 7-10 digits)")
    .option("--md5key <key>", "md5key (generated when omitted)")
    .option("--rate-bp <bp>", "settlement rate in basis points (default 10000)", int("--rate-bp"))
    .option("--ip <list>", "IP whitelist: comma-separated IPs/CIDRs (empty allows all)", list)
    .option("--strict-carrier", "refuse numbers whose segment contradicts mobile_type")
    .option("--disabled", "create it disabled")
    .action(async (o, cmd) => {
      const body = { name: o.name, uid: o.uid, md5key: o.md5key, rateBp: o.rateBp, ipWhitelist: o.ip, strictCarrier: o.strictCarrier, enabled: o.disabled ? false : undefined };
      out(cmd, await admin(cmd)("POST", "/admin/operators", body), operatorText);
    });
  configure(operator.command("list").description("list operators")).action(async (_o, cmd) => {
    out(cmd, await admin(cmd)("GET", "/admin/operators"), (ops: Json[]) => table(ops, ["uid", "name", "enabled", "rateBp", "strictCarrier"]));
  });
  configure(operator.command("show").description("show one operator (never its md5key)"))
    .argument("<uid>", "operator uid")
    .action(async (uid, _o, cmd) => out(cmd, await admin(cmd)("GET", `/admin/operators/${seg(uid)}`), operatorText));
  configure(operator.command("rotate-key").description("give an operator a new md5key; prints it"))
    .argument("<uid>", "operator uid")
    .option("--md5key <key>", "the new key (generated when omitted)")
    .action(async (uid, o, cmd) => out(cmd, await admin(cmd)("POST", `/admin/operators/${seg(uid)}/rotate-key`, { md5key: o.md5key }), operatorText));

  // --- channel --------------------------------------------------------------------------------
  const channel = configure(program.command("channel").description("channels (供货渠道): list, create"));
  configure(channel.command("list").description("list channels with health")).action(async (_o, cmd) => {
    out(cmd, await admin(cmd)("GET", "/admin/channels"), (cs: Json[]) => table(cs, ["code", "kind", "name", "enabled", "concurrency", "costBp"]));
  });
  configure(channel.command("create").description("create a channel"))
    .requiredOption("--code <code>", "1-32 of [a-z0-9_-]")
    .addOption(new Option("--kind <kind>", "channel kind").choices(["upstream", "manual", "simulator"]).makeOptionMandatory())
    .option("--name <name>", "display name")
    .option("--base-url <url>", "upstream: the supplier's base URL")
    .option("--uid <uid>", "upstream: this platform's uid at the supplier")
    .option("--md5key <key>", "upstream: this platform's md5key at the supplier")
    .option("--concurrency <n>", "orders in flight at once (default unlimited)", int("--concurrency"))
    .option("--cost-bp <bp>", "what the channel charges per fen, in basis points", int("--cost-bp"))
    .option("--disabled", "create it disabled")
    .action(async (o, cmd) => {
      const config = o.baseUrl || o.uid || o.md5key ? { baseUrl: o.baseUrl, uid: o.uid, md5key: o.md5key } : undefined;
      const body = { code: o.code, kind: o.kind, name: o.name, config, concurrency: o.concurrency, costBp: o.costBp, enabled: o.disabled ? false : undefined };
      out(cmd, await admin(cmd)("POST", "/admin/channels", body), record);
    });

  // --- route ----------------------------------------------------------------------------------
  const route = configure(program.command("route").description("routes: list, create"));
  configure(route.command("list").description("list routes")).action(async (_o, cmd) => {
    out(cmd, await admin(cmd)("GET", "/admin/routes"), (rs: Json[]) =>
      table(rs.map((r) => ({ ...r, channels: JSON.stringify(r.channels) })), ["id", "priority", "enabled", "uid", "orderType", "mobileType", "channels"]));
  });
  configure(route.command("create").description("create a route"))
    .requiredOption("--channels <codes>", "comma-separated channel codes, in tier order", list)
    .option("--uid <uid>", "match this operator only")
    .option("--order-type <n>", "match this order_type only", int("--order-type"))
    .option("--mobile-type <n>", "match this mobile_type only", int("--mobile-type"))
    .option("--face-values <list>", "match these face values (fen), comma-separated", intList("--face-values"))
    .option("--priority <n>", "higher wins (default 0)", int("--priority"))
    .option("--disabled", "create it disabled")
    .action(async (o, cmd) => {
      const body = { channels: o.channels, uid: o.uid, orderType: o.orderType, mobileType: o.mobileType, faceValues: o.faceValues, priority: o.priority, enabled: o.disabled ? false : undefined };
      out(cmd, await admin(cmd)("POST", "/admin/routes", body), record);
    });

  // --- order ----------------------------------------------------------------------------------
  const order = configure(program.command("order").description("orders: find, show, resend-callback, resolve"));
  configure(order.command("find").description("find orders, newest first"))
    .option("--uid <uid>").option("--order-no <no>").option("--phone <number>").option("--serial <serialNumber>")
    .option("--status <n>").option("--channel <code>").option("--callback-state <state>")
    .option("--from <iso>", "created at or after (ISO 8601)").option("--to <iso>", "created before (ISO 8601)")
    .option("--limit <n>", "at most this many (default 50, at most 500)").option("--cursor <cursor>", "the nextCursor of a previous page")
    .action(async (o, cmd) => {
      const query = new URLSearchParams();
      const names: [string, string][] = [["uid", "uid"], ["orderNo", "orderNo"], ["phone", "phone"], ["serial", "serialNumber"], ["status", "status"],
        ["channel", "channel"], ["callbackState", "callbackState"], ["from", "from"], ["to", "to"], ["limit", "limit"], ["cursor", "cursor"]];
      for (const [option, param] of names) if (o[option] !== undefined) query.set(param, String(o[option]));
      const page = await admin(cmd)("GET", `/admin/orders${query.size ? `?${query}` : ""}`);
      out(cmd, page, (p: Json) =>
        `${table(p.items, ["id", "orderNo", "phoneNumber", "faceValue", "status", "statusName", "channel", "callbackState", "createdAt"])}` +
        (p.nextCursor ? `\nmore: --cursor ${p.nextCursor}` : ""));
    });
  configure(order.command("show").description("show an order with its history and callback attempts"))
    .argument("<id>", "platform order id")
    .action(async (id, _o, cmd) => out(cmd, await admin(cmd)("GET", `/admin/orders/${seg(id)}`), orderText));
  configure(order.command("resend-callback").description("send a final order's callback again"))
    .argument("<id>", "platform order id")
    .action(async (id, _o, cmd) =>
      out(cmd, await admin(cmd)("POST", `/admin/orders/${seg(id)}/resend-callback`), (o: Json) => `callback of order ${o.id} queued again (status ${o.status} ${o.statusName})`));
  configure(order.command("resolve").description("move an order one legal step (0, 2, 4 or 10)"))
    .argument("<id>", "platform order id")
    .requiredOption("--status <n>", "0, 2, 4 or 10", int("--status"))
    .option("--mobile-order-no <no>", "the web hall's order number")
    .option("--reason <text>", "why, for the audit log")
    .action(async (id, o, cmd) =>
      out(cmd, await admin(cmd)("POST", `/admin/orders/${seg(id)}/resolve`, { status: o.status, mobileOrderNo: o.mobileOrderNo, reason: o.reason }), record));

  // --- sign -----------------------------------------------------------------------------------
  configure(program.command("sign").description("the PROTOCOL §3 sign of the given fields"))
    .addArgument(new Argument("<kind>", "which message: push | callback | balance | query | response").choices(SIGN_KINDS))
    .option("--uid <uid>").option("--order-no <no>").option("--phone <number>")
    .option("--face-value <fen>", "face value in fen", int("--face-value")).option("--status <n>", "callback status", int("--status"))
    .option("--data <text>", "response: the exact data string")
    .option("--key <md5key>", "the operator's md5key (env OPERATOR_KEY)")
    .action((kind: SignKind, o, cmd) => {
      const key = need(o.key ?? io.env.OPERATOR_KEY, "--key (or env OPERATOR_KEY)");
      const sign = computeSign(kind, o, key);
      out(cmd, { kind, sign }, (v) => v.sign);
    });

  // --- operator client ------------------------------------------------------------------------
  const clientOptions = (cmd: Command): Command =>
    cmd.option("--base-url <url>", "operator API base URL (env OPERATOR_BASE_URL, default http://127.0.0.1:8088)")
      .option("--uid <uid>", "operator uid (env OPERATOR_UID)")
      .option("--key <md5key>", "operator md5key (env OPERATOR_KEY)");
  const operatorOf = (o: Json) => ({
    baseUrl: (o.baseUrl ?? io.env.OPERATOR_BASE_URL ?? "http://127.0.0.1:8088").replace(/\/+$/, ""),
    uid: need(o.uid ?? io.env.OPERATOR_UID, "--uid (or env OPERATOR_UID)"),
    key: need(o.key ?? io.env.OPERATOR_KEY, "--key (or env OPERATOR_KEY)"),
  });
  clientOptions(configure(program.command("push").description("push an order (下单) as an operator")))
    .requiredOption("--order-no <no>", "the operator's order number")
    .requiredOption("--phone <number>", "phone number")
    .requiredOption("--face-value <fen>", "face value in fen", int("--face-value"))
    .requiredOption("--notify-url <url>", "where the callback goes")
    .option("--order-type <n>", "1 话费, 2 流量, 3 卡密, 4 直充", "1")
    .option("--mobile-type <n>", "1 移动, 2 联通, 3 电信", "1")
    .action(async (o, cmd) => {
      const op = operatorOf(o);
      const sign = orderPushSign({ uid: op.uid, orderNo: o.orderNo, phoneNumber: o.phone, faceValue: o.faceValue }, op.key);
      const answer = await postForm(`${op.baseUrl}/1/api/oper/order`, {
        uid: op.uid, order_no: o.orderNo, order_type: o.orderType, mobile_type: o.mobileType, phone_number: o.phone,
        face_value: String(o.faceValue), notify_url: o.notifyUrl, sign,
      });
      out(cmd, answer, (a: Json) => `${a.code === "200" ? "accepted" : "refused"}: ${a.msg}`);
      if (answer.code !== "200") throw new CliError(`order refused: ${answer.msg}`);
    });
  clientOptions(configure(program.command("query").description("query an order (订单查询) as an operator")))
    .requiredOption("--order-no <no>", "the operator's order number")
    .action(async (o, cmd) => {
      const op = operatorOf(o);
      const answer = await postForm(`${op.baseUrl}/1/api/oper/query_order`, { uid: op.uid, order_no: o.orderNo, sign: orderQuerySign(op.uid, o.orderNo, op.key) });
      const result = checkedQueryAnswer(answer, op.key);
      out(cmd, result, (r: Json) => record(r.data.data));
    });
  clientOptions(configure(program.command("balance").description("query the balance (余额查询) as an operator")))
    .action(async (o, cmd) => {
      const op = operatorOf(o);
      const answer = await postForm(`${op.baseUrl}/1/api/oper/balance`, { uid: op.uid, sign: balanceQuerySign(op.uid, op.key) });
      const result = checkedQueryAnswer(answer, op.key);
      out(cmd, result, (r: Json) => record(r.data.data));
    });

  // --- mock-operator --------------------------------------------------------------------------
  configure(program.command("mock-operator").description("a local callback receiver: prints each callback, checks its sign, answers ok (or fail)"))
    .option("--host <host>", "address to listen on (loopback by default)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free one)", int("--port"), 9099)
    .option("--key <md5key>", "operator md5key to verify signs with (env OPERATOR_KEY)")
    .option("--fail", "answer fail to every callback")
    .option("--fail-first <n>", "answer fail to the first N callbacks, then ok", int("--fail-first"), 0)
    .action(async (o, cmd) => {
      const json = globals(cmd).json === true;
      await mockOperator({ host: o.host, port: o.port, key: o.key ?? io.env.OPERATOR_KEY, failAll: o.fail === true, failFirst: o.failFirst, json }, io);
    });

  return program;
}

// --- admin HTTP -----------------------------------------------------------------------------

function adminClient(g: GlobalOptions, env: CliIo["env"]) {
  const base = (g.adminUrl ?? env.ADMIN_URL ?? "http://127.0.0.1:8089").replace(/\/+$/, "");
  const token = g.adminToken ?? env.ADMIN_TOKEN;
  return async (method: string, path: string, body?: unknown): Promise<Json> => {
    if (!token) throw new CliError("no admin token: pass --admin-token or set ADMIN_TOKEN");
    const res = await reach(base, "admin API", () =>
      fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "x-admin-actor": "cli", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    let parsed: Json = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new CliError(`admin API at ${base} answered HTTP ${res.status} with something that is not JSON`);
    }
    // The token is never echoed, even when refused.
    if (res.status === 401) throw new CliError(`admin API at ${base} refused the admin token (HTTP 401)`);
    if (res.status >= 400) throw new CliError(`admin API answered HTTP ${res.status}: ${parsed?.error ?? text}`);
    return parsed;
  };
}

/** fetch, with "cannot reach" as the one-line failure instead of a TypeError and its cause chain. */
async function reach(base: string, what: string, call: () => Promise<Response>): Promise<Response> {
  try {
    return await call();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the ${what} at ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

async function postForm(url: string, fields: Record<string, string>): Promise<Json> {
  const base = new URL(url).origin;
  const res = await reach(base, "operator API", () =>
    fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() }),
  );
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`operator API at ${base} answered HTTP ${res.status} with something that is not JSON`);
  }
}

/** A query answer with its data sign checked (§3: md5(data + key)) and its data parsed. */
function checkedQueryAnswer(answer: Json, key: string): Json {
  if (answer.code !== "200") throw new CliError(`refused: ${answer.msg}`);
  if (!signMatches(responseDataSign(String(answer.data), key), String(answer.sign))) throw new CliError("the answer's sign does not match its data: not trusted");
  return { ...answer, signValid: true, data: JSON.parse(answer.data) };
}

// --- sign -----------------------------------------------------------------------------------

const SIGN_KINDS = ["push", "callback", "balance", "query", "response"] as const;
type SignKind = (typeof SIGN_KINDS)[number];

function computeSign(kind: SignKind, o: Json, key: string): string {
  const uid = () => need(o.uid, "--uid");
  const orderNo = () => need(o.orderNo, "--order-no");
  const phone = () => need(o.phone, "--phone");
  const faceValue = () => need(o.faceValue, "--face-value");
  switch (kind) {
    case "push":
      return orderPushSign({ uid: uid(), orderNo: orderNo(), phoneNumber: phone(), faceValue: faceValue() }, key);
    case "callback":
      return callbackSign({ uid: uid(), orderNo: orderNo(), phoneNumber: phone(), faceValue: faceValue(), status: need(o.status, "--status") }, key);
    case "balance":
      return balanceQuerySign(uid(), key);
    case "query":
      return orderQuerySign(uid(), orderNo(), key);
    case "response":
      return responseDataSign(need(o.data, "--data"), key);
  }
}

// --- mock operator --------------------------------------------------------------------------

interface MockOptions {
  host: string;
  port: number;
  key?: string;
  failAll: boolean;
  failFirst: number;
  json: boolean;
}

/** Listens until SIGINT/SIGTERM; each callback is one line (one JSON object with --json). */
async function mockOperator(o: MockOptions, io: CliIo): Promise<void> {
  let received = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received += 1;
      const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const signValid = o.key === undefined ? null : verifyCallback(fields, o.key);
      // A callback whose sign does not verify is refused, as a real operator would.
      const answer = o.failAll || received <= o.failFirst || signValid === false ? "fail" : "ok";
      const line = { n: received, method: req.method, path: req.url, fields, signValid, answer };
      io.stdout(o.json ? `${JSON.stringify(line)}\n`
        : `callback #${received} order_no=${fields.order_no} status=${fields.status} phone=${fields.phone_number} face_value=${fields.face_value} ` +
          `sign=${signValid === null ? "unchecked (no --key)" : signValid ? "valid" : "INVALID"} -> ${answer}\n`);
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new CliError(`cannot listen on ${o.host}:${o.port}: ${e.code ?? e.message}`)));
    server.listen(o.port, o.host, resolve);
  });
  const { port } = server.address() as { port: number };
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}/`;
  io.stdout(o.json ? `${JSON.stringify({ listening: url })}\n` : `mock operator listening on ${url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

function verifyCallback(f: Record<string, string>, key: string): boolean {
  const faceValue = Number(f.face_value);
  const status = Number(f.status);
  if (!/^\d+$/.test(f.face_value ?? "") || !/^\d+$/.test(f.status ?? "") || typeof f.sign !== "string") return false;
  const expected = callbackSign({ uid: f.uid ?? "", orderNo: f.order_no ?? "", phoneNumber: f.phone_number ?? "", faceValue, status }, key);
  return signMatches(expected, f.sign);
}

// --- helpers --------------------------------------------------------------------------------

function need<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "") throw new CliError(`missing ${name}`);
  return value;
}

function int(name: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new CliError(`${name} must be an integer, not "${value}"`);
    return Number(value);
  };
}

function intList(name: string) {
  return (value: string): number[] => list(value).map(int(name));
}

function list(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** One path segment, so an argument cannot reach another admin route. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

function record(value: Json): string {
  return Object.entries(value ?? {})
    .map(([k, v]) => `${k}: ${v !== null && typeof v === "object" ? JSON.stringify(v) : v}`)
    .join("\n");
}

function operatorText(op: Json): string {
  return record(op) + (op.md5key ? "\n(keep the md5key: it is shown only now)" : "");
}

function orderText(order: Json): string {
  const { transitions, callbackAttempts, channelAttempts, ...rest } = order;
  const lines = [record(rest), "", "history:"];
  for (const t of transitions ?? []) lines.push(`  ${t.at}  ${t.from ?? "-"} -> ${t.to}${t.reason ? `  (${t.reason})` : ""}`);
  lines.push("callback attempts:");
  for (const a of callbackAttempts ?? []) lines.push(`  ${JSON.stringify(a)}`);
  lines.push("channel attempts:");
  for (const a of channelAttempts ?? []) lines.push(`  ${JSON.stringify(a)}`);
  return lines.join("\n");
}

function table(rows: Json[], columns: string[]): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? "-" : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(columns), ...cells.map(line)].join("\n");
}
