-- Every index on "orders" costs each write of a row: an insert and three updates per order, none of
-- them HOT (each changes an indexed column). Two go.

-- An open callback round is found by next_check_at, like a planned fulfilment step (by when its
-- next attempt should have ended); the reconciler's second work list and its index are gone. Rounds
-- open now get a due time as their first attempt would have (opened + 10 s).
UPDATE "orders" SET "next_check_at" = "updated_at" + interval '10 seconds'
WHERE "callback_state" = 'pending' AND "next_check_at" IS NULL;
DROP INDEX "orders_callback_state_updated_at_idx";

-- The serial is the Shanghai date followed by every digit of the id: unique because the id is, and
-- never looked up.
DROP INDEX "orders_serial_number_key";
