import { checkAuditQuery, checkBulkResend, checkKeyRotation, checkLedgerQuery, checkStatementQuery, idCursor, RESEND_DEFAULT_LIMIT } from "../src/admin-input";

// Issue 19's admin inputs: defaults, cursors that only this API makes, and what each filter becomes.
describe("operations input", () => {
  it("rotation: graceSeconds is optional, 0 to 7 days", () => {
    expect(checkKeyRotation({ graceSeconds: 604_800 })).toEqual({ ok: true, value: { graceSeconds: 604_800 } });
    expect(checkKeyRotation({ graceSeconds: 604_801 }).ok).toBe(false);
  });

  it("bulk resend: since required, limit 500 by default, the cursor continues after its id", () => {
    expect(checkBulkResend({ since: "2026-12-06T00:00:00+08:00" })).toEqual({
      ok: true,
      value: { since: new Date("2026-12-05T16:00:00Z"), limit: RESEND_DEFAULT_LIMIT, after: null },
    });
    expect(checkBulkResend({ since: "2026-12-06T00:00:00Z", limit: 5000, cursor: idCursor("r", "42") })).toMatchObject({ ok: true, value: { limit: 5000, after: "42" } });
    // A cursor of another list is not one of this call's.
    expect(checkBulkResend({ since: "2026-12-06T00:00:00Z", cursor: idCursor("l", "42") })).toEqual({ ok: false, error: "cursor is not one this API gave" });
  });

  it("ledger pages: 100 by default, cursors round-trip", () => {
    expect(checkLedgerQuery({})).toEqual({ ok: true, value: { limit: 100, before: null } });
    expect(checkLedgerQuery({ cursor: idCursor("l", "7"), limit: "500" })).toEqual({ ok: true, value: { limit: 500, before: "7" } });
    expect(checkLedgerQuery({ cursor: `${idCursor("l", "7")}=` }).ok).toBe(false);
  });

  it("audit: entity is a type or type:id", () => {
    expect(checkAuditQuery({ entity: "operator" })).toMatchObject({ ok: true, value: { filter: { targetType: "operator" } } });
    expect(checkAuditQuery({ entity: "operator:3928857", actor: "admin:alice" })).toMatchObject({
      ok: true,
      value: { filter: { targetType: "operator", targetId: "3928857", actor: "admin:alice" }, limit: 50 },
    });
    expect(checkAuditQuery({ entity: "operator:" }).ok).toBe(false);
  });

  it("statement: the .csv route forces CSV; the range is a statement's", () => {
    expect(checkStatementQuery({ from: "2026-12-01", to: "2026-12-02" }, true)).toEqual({ ok: true, value: { from: "2026-12-01", to: "2026-12-02", format: "csv" } });
    expect(checkStatementQuery({ from: "2025-01-01", to: "2026-12-31" })).toEqual({ ok: false, error: "a statement covers at most 366 days" });
  });
});
