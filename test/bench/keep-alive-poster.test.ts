import http from "node:http";
import type { AddressInfo } from "node:net";
import { KeepAlivePoster, type PostDone } from "../../bench/lib/keep-alive-poster";

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
  socket: unknown;
}

let server: http.Server;
let url: string;
const seen: Seen[] = [];
/** How the test server answers the next request (default: 200 with a JSON echo of the body's length). */
let answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body, socket: req.socket });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  seen.length = 0;
  answer = (_req, res, body) => res.end(JSON.stringify({ chars: [...body].length }));
});

/** Runs `use` with a poster of `connections` connections, closed afterwards whatever happens. */
async function withPoster(connections: number, use: (poster: KeepAlivePoster) => Promise<void>): Promise<void> {
  const poster = new KeepAlivePoster(url, connections);
  try {
    await use(poster);
  } finally {
    poster.close();
  }
}

function post(poster: KeepAlivePoster, body: string, path = "/p"): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const done: PostDone = (status, text) => resolve({ status, body: text });
    poster.post(path, "application/x-www-form-urlencoded", body, done);
  });
}

test("posts the body with its type and byte length, and reads the answer", async () => {
  await withPoster(2, async (poster) => {
    expect(await post(poster, "a=你好&b=1", "/1/api/oper/order")).toEqual({ status: 200, body: '{"chars":8}' });
    expect(seen).toMatchObject([{ method: "POST", url: "/1/api/oper/order", contentType: "application/x-www-form-urlencoded", body: "a=你好&b=1" }]);
  });
});

test("keeps its connections: more requests than connections reuse them, in order", async () => {
  await withPoster(2, async (poster) => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(poster, `n=${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(seen.map((s) => s.socket)).size).toBe(2);
    expect(seen.map((s) => s.body).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `n=${i}`).sort());
  });
});

test("an answer's status and body come through whatever the status", async () => {
  answer = (_req, res) => {
    res.statusCode = 503;
    res.end("busy");
  };
  await withPoster(1, async (poster) => {
    expect(await post(poster, "x=1")).toEqual({ status: 503, body: "busy" });
  });
});

test("a connection the server closes fails its request with status 0, and the next request gets a new one", async () => {
  answer = (req) => req.socket.destroy();
  await withPoster(1, async (poster) => {
    expect(await post(poster, "x=1")).toEqual({ status: 0, body: "" });
    answer = (_req, res) => res.end("ok");
    expect(await post(poster, "x=2")).toEqual({ status: 200, body: "ok" });
    expect(seen[0].socket).not.toBe(seen[1].socket);
  });
});

test("`Connection: close` in an answer ends that connection after it", async () => {
  answer = (_req, res) => {
    res.setHeader("Connection", "close");
    res.end("bye");
  };
  await withPoster(1, async (poster) => {
    expect(await post(poster, "x=1")).toEqual({ status: 200, body: "bye" });
    expect(await post(poster, "x=2")).toEqual({ status: 200, body: "bye" });
    expect(seen[0].socket).not.toBe(seen[1].socket);
  });
});

test("an answer without Content-Length (chunked) is not read as one: status 0", async () => {
  answer = (_req, res) => {
    res.write("part");
    res.end("rest");
  };
  await withPoster(1, async (poster) => {
    expect(await post(poster, "x=1")).toEqual({ status: 0, body: "" });
  });
});
