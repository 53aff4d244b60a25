-- Channel health (PROTOCOL §12: a channel is eligible while its circuit is closed or on probation).
-- The circuit lives in `channels` (the source of truth; see docs/channels.md): every transition is
-- a conditional UPDATE on the state it was decided from.

-- Calls answered in the protocol since the last error: a half-open circuit closes after enough of them.
ALTER TABLE "channels" ADD COLUMN "consecutive_successes" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "channels" ADD CONSTRAINT "channels_consecutive_successes_check" CHECK ("consecutive_successes" >= 0);

-- When a worker last took the balance read (at most one per channel a minute, across processes);
-- balance_read_at stays the time of the last read that answered, so a failed read never makes an
-- old balance look fresh.
ALTER TABLE "channels" ADD COLUMN "balance_claimed_at" TIMESTAMPTZ(3);
