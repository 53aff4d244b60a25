-- Operations (issue 19): key rotation with a grace period, and the indexes the new admin reads need.

-- The key an operator had before its last rotation, accepted for signatures until previous_key_until
-- so that an operator can switch its systems over without refused pushes; both or neither are set.
ALTER TABLE "operators" ADD COLUMN "previous_md5_key" VARCHAR(64);
ALTER TABLE "operators" ADD COLUMN "previous_key_until" TIMESTAMPTZ(3);
ALTER TABLE "operators" ADD CONSTRAINT "operators_previous_key_check"
    CHECK (("previous_md5_key" IS NULL) = ("previous_key_until" IS NULL));

-- CreateIndex: statements read an account's entries by time (Shanghai days); (account_id, id) cannot
-- bound a time range. One more entry per ledger insert, i.e. per successful order.
CREATE INDEX "ledger_entries_account_id_created_at_idx" ON "ledger_entries"("account_id", "created_at");

-- CreateIndex: unacknowledged callbacks (listed, and re-sent in bulk per operator in id order) are the
-- orders whose round ended failed. Partial, so only such orders (few) ever write an entry into it; the
-- updates that move callback_state already change next_check_at (indexed), so none was HOT before.
CREATE INDEX "orders_callback_failed_idx" ON "orders"("operator_id", "id") WHERE "callback_state" = 'failed';

-- CreateIndex: GET /admin/audit newest first, by actor or by time; audit rows are rare writes.
CREATE INDEX "audit_log_actor_id_idx" ON "audit_log"("actor", "id");
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at");
