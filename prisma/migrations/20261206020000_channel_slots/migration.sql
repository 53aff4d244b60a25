-- A channel's concurrency as slots (PROTOCOL §12: "a free slot of concurrency", shared by every
-- worker process). An order takes a free slot (FOR UPDATE SKIP LOCKED: never two orders in one)
-- before it is placed with a channel that has a limit, and gives it back when its attempt ends.
-- Channels without a limit have no slots, and their orders touch none of this.

-- CreateTable
CREATE TABLE "channel_slots" (
    "channel_code" VARCHAR(32) NOT NULL,
    "slot_no" INTEGER NOT NULL,
    -- The order holding the slot; null: free.
    "order_id" BIGINT,
    "claimed_at" TIMESTAMPTZ(3),

    CONSTRAINT "channel_slots_pkey" PRIMARY KEY ("channel_code", "slot_no"),
    CONSTRAINT "channel_slots_slot_no_check" CHECK ("slot_no" >= 0)
);

-- CreateIndex: the slot an order holds, found when its attempt ends.
CREATE INDEX "channel_slots_order_id_idx" ON "channel_slots"("order_id") WHERE "order_id" IS NOT NULL;

-- AddForeignKey
ALTER TABLE "channel_slots" ADD CONSTRAINT "channel_slots_channel_code_fkey" FOREIGN KEY ("channel_code") REFERENCES "channels"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- Slots follow channels.concurrency whatever writes it: slots 0 … concurrency − 1 exist; free slots
-- beyond it go at once, held ones when the reconciler finds them free.
CREATE FUNCTION "channel_slots_resize"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "channel_slots" ("channel_code", "slot_no")
    SELECT NEW."code", n FROM generate_series(0, coalesce(NEW."concurrency", 0) - 1) AS n
    ON CONFLICT DO NOTHING;
    DELETE FROM "channel_slots"
    WHERE "channel_code" = NEW."code" AND "slot_no" >= coalesce(NEW."concurrency", 0) AND "order_id" IS NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER "channels_slots_resize" AFTER INSERT OR UPDATE OF "concurrency" ON "channels"
FOR EACH ROW EXECUTE FUNCTION "channel_slots_resize"();

-- Channels created before slots existed.
INSERT INTO "channel_slots" ("channel_code", "slot_no")
SELECT c."code", n FROM "channels" c, generate_series(0, coalesce(c."concurrency", 0) - 1) AS n;
