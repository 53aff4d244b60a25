-- Every order writes a channel attempt: one insert and one or two updates. With four indexes, and
-- finished_at in the predicate of one of them, the update that ends an attempt could never be HOT
-- and wrote an entry into each index again. Two go; the update that ends an attempt is now HOT.

-- Orders in flight per channel are counted from channel_slots (the channels with a limit), not here.
DROP INDEX "channel_attempts_open_idx";

-- Attempt numbers are given by the conditional move of the order's row (one writer per order); the
-- rule that protects money, each channel at most once per order, keeps its unique index.
DROP INDEX "channel_attempts_order_id_attempt_no_key";
