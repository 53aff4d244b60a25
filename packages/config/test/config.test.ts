import winston from "winston";
import Transport from "winston-transport";
import { ConfigError, createLogger, loadConfig, maskPhone, redact } from "../src";

describe("loadConfig", () => {
  it("applies the contract's defaults", () => {
    expect(loadConfig({})).toMatchObject({
      port: 8088, adminPort: 8089, adminHost: "127.0.0.1", adminToken: "", queuePrefix: "topup",
      callbackAllowedCidrs: "", callbackBackoffMs: 5000, simulatorStepMs: 200, trustedProxies: "",
      defaultChannel: "", publicBaseUrl: "http://127.0.0.1:8088",
    });
    expect(loadConfig({ PORT: "9000" }).publicBaseUrl).toBe("http://127.0.0.1:9000");
  });

  it("reads every fixed env name", () => {
    const config = loadConfig({
      PORT: "1", ADMIN_PORT: "2", ADMIN_HOST: "::1", ADMIN_TOKEN: "t", DATABASE_URL: "postgresql://db/x", REDIS_URL: "redis://r:1",
      QUEUE_PREFIX: "q", CALLBACK_ALLOWED_CIDRS: "127.0.0.1/32", CALLBACK_BACKOFF_MS: "7", SIMULATOR_STEP_MS: "0", TRUSTED_PROXIES: "10.0.0.0/8",
      DEFAULT_CHANNEL: "simulator", PUBLIC_BASE_URL: "https://topup.example.com/",
    });
    expect(config).toMatchObject({
      port: 1, adminPort: 2, adminHost: "::1", adminToken: "t", databaseUrl: "postgresql://db/x", redisUrl: "redis://r:1",
      queuePrefix: "q", callbackAllowedCidrs: "127.0.0.1/32", callbackBackoffMs: 7, simulatorStepMs: 0, trustedProxies: "10.0.0.0/8",
      defaultChannel: "simulator", publicBaseUrl: "https://topup.example.com",
    });
  });

  it("refuses nonsense with a clear message", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    expect(() => loadConfig({ SIMULATOR_STEP_MS: "-1" })).toThrow(/SIMULATOR_STEP_MS/);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadConfig({ DEFAULT_CHANNEL: "Sim ulator" })).toThrow(/DEFAULT_CHANNEL/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: "ftp://x" })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: "not a url" })).toThrow(/PUBLIC_BASE_URL/);
  });
});

describe("LOG_LEVEL", () => {
  it("names a winston level, in any case; info when unset or empty", () => {
    expect(loadConfig({}).logLevel).toBe("info");
    expect(loadConfig({ LOG_LEVEL: "" }).logLevel).toBe("info");
    expect(loadConfig({ LOG_LEVEL: " WARN " }).logLevel).toBe("warn");
    expect(loadConfig({ LOG_LEVEL: "debug" }).logLevel).toBe("debug");
  });

  it("is refused when it names no level (winston would write nothing at all)", () => {
    expect(() => loadConfig({ LOG_LEVEL: "verbos" })).toThrow(/LOG_LEVEL must be one of error, warn, info, http, verbose, debug, silly, got "verbos"/);
  });

  it("sets the services' loggers' level; a level it does not name leaves them at info, to write that refusal", () => {
    const before = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = "Debug";
      expect(createLogger("test").level).toBe("debug");
      process.env.LOG_LEVEL = "verbos";
      expect(createLogger("test").level).toBe("info");
      delete process.env.LOG_LEVEL;
      expect(createLogger("test").level).toBe("info");
    } finally {
      if (before === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = before;
    }
  });
});

describe("log redaction", () => {
  class Capture extends Transport {
    lines: string[] = [];
    override log(info: Record<symbol, string>, next: () => void): void {
      this.lines.push(info[Symbol.for("message")]);
      next();
    }
  }

  it("never writes secrets and masks phone numbers wherever they travel", () => {
    const capture = new Capture();
    const logger = winston.createLogger({ format: winston.format.combine(redact(), winston.format.json()), transports: [capture] });
    logger.info("push from 13912345678 accepted", {
      md5key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
      sign: "80fcb730498a656ec0bcba86da87b4dc",
      authorization: "Bearer secret-token",
      order: { phone_number: "13812345678", serialNumber: "202611250000000001", mobileOrderNo: "508266044086865194" },
      error: new Error("bad number 13700001111"),
    });
    const line = capture.lines.join("\n");
    for (const secret of ["9f8e7d6c5b4a39281706f5e4d3c2b1a0", "80fcb730498a656ec0bcba86da87b4dc", "secret-token", "13912345678", "13812345678", "13700001111"]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain("139****5678");
    expect(line).toContain("202611250000000001"); // long identifiers are not mistaken for phone numbers
    expect(line).toContain("508266044086865194");
  });

  it("masks a number as 3 + **** + 4", () => {
    expect(maskPhone("13999999999")).toBe("139****9999");
    expect(maskPhone("x13999999999y")).toBe("x139****9999y");
  });
});
