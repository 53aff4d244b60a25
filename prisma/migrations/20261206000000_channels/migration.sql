-- Channels (供货渠道), routes and each order's attempts with channels (PROTOCOL §12).

-- CreateTable
CREATE TABLE "channels" (
    "code" VARCHAR(32) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    -- Kind-specific settings without secrets (upstream: {"baseUrl", "uid"}); a dump of it is safe.
    "config" JSONB NOT NULL DEFAULT '{}',
    -- The upstream's md5key, in a column of its own: no generic read of "config" can carry it.
    "md5_key" VARCHAR(64),
    -- Orders in flight at once; null: unlimited.
    "concurrency" INTEGER,
    -- What a success costs: floor(face_value * cost_bp / 10000).
    "cost_bp" INTEGER NOT NULL DEFAULT 0,
    -- The last balance the channel reported (fen) and when it was read.
    "balance" BIGINT,
    "balance_read_at" TIMESTAMPTZ(3),
    "circuit_state" VARCHAR(16) NOT NULL DEFAULT 'closed',
    "circuit_opened_at" TIMESTAMPTZ(3),
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channels_pkey" PRIMARY KEY ("code"),
    CONSTRAINT "channels_code_check" CHECK ("code" ~ '^[a-z0-9_-]{1,32}$'),
    CONSTRAINT "channels_kind_check" CHECK ("kind" IN ('simulator', 'manual', 'upstream')),
    -- An upstream has its address, uid and key; the other kinds have none of them. (A missing key
    -- makes jsonb_typeof NULL, which a CHECK would let through: hence the coalesce.)
    CONSTRAINT "channels_config_check" CHECK (coalesce(
        CASE WHEN "kind" = 'upstream'
            THEN "md5_key" IS NOT NULL AND jsonb_typeof("config" -> 'baseUrl') = 'string' AND jsonb_typeof("config" -> 'uid') = 'string'
            ELSE "md5_key" IS NULL AND "config" = '{}'
        END, false)
    ),
    CONSTRAINT "channels_concurrency_check" CHECK ("concurrency" IS NULL OR "concurrency" > 0),
    CONSTRAINT "channels_cost_bp_check" CHECK ("cost_bp" BETWEEN 0 AND 10000),
    CONSTRAINT "channels_circuit_state_check" CHECK ("circuit_state" IN ('closed', 'open', 'half_open')),
    CONSTRAINT "channels_consecutive_failures_check" CHECK ("consecutive_failures" >= 0)
);

-- CreateTable
CREATE TABLE "routes" (
    "id" BIGSERIAL NOT NULL,
    -- Each of uid, order_type, mobile_type and face_values narrows the route; null matches any.
    "uid" VARCHAR(32),
    "order_type" SMALLINT,
    "mobile_type" SMALLINT,
    "face_values" INTEGER[],
    "priority" INTEGER NOT NULL DEFAULT 0,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    -- How long an order may wait at 5 for an eligible channel before it goes to 10 (无可用渠道).
    "hold_ms" INTEGER NOT NULL DEFAULT 600000,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "routes_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "routes_order_type_check" CHECK ("order_type" IN (1, 2, 3, 4)),
    CONSTRAINT "routes_mobile_type_check" CHECK ("mobile_type" IN (1, 2, 3)),
    -- An empty list would match no order at all.
    CONSTRAINT "routes_face_values_check" CHECK (cardinality("face_values") > 0),
    CONSTRAINT "routes_hold_ms_check" CHECK ("hold_ms" >= 0)
);

-- CreateTable
CREATE TABLE "route_channels" (
    "route_id" BIGINT NOT NULL,
    "channel_code" VARCHAR(32) NOT NULL,
    -- The entry's place in the route's list, from 0.
    "position" INTEGER NOT NULL,
    -- Lower tiers are tried first; a bare code's tier is its position.
    "tier" INTEGER NOT NULL,
    "weight" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "route_channels_pkey" PRIMARY KEY ("route_id", "position"),
    CONSTRAINT "route_channels_position_check" CHECK ("position" >= 0),
    CONSTRAINT "route_channels_tier_check" CHECK ("tier" >= 0),
    CONSTRAINT "route_channels_weight_check" CHECK ("weight" > 0)
);

-- CreateTable
CREATE TABLE "channel_attempts" (
    "id" BIGSERIAL NOT NULL,
    "order_id" BIGINT NOT NULL,
    "channel_code" VARCHAR(32) NOT NULL,
    -- 1, 2, … in the order the order's channels were tried.
    "attempt_no" INTEGER NOT NULL,
    "outcome" VARCHAR(16) NOT NULL DEFAULT 'pending',
    -- An excerpt of the channel's answer, at most 1 KiB.
    "answer" VARCHAR(1024),
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    -- What the success cost (floor(face_value * cost_bp / 10000)); null until it succeeded.
    "cost_fen" BIGINT,

    CONSTRAINT "channel_attempts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "channel_attempts_attempt_no_check" CHECK ("attempt_no" >= 1),
    CONSTRAINT "channel_attempts_cost_fen_check" CHECK ("cost_fen" >= 0)
);

-- CreateIndex
CREATE UNIQUE INDEX "route_channels_route_id_channel_code_key" ON "route_channels"("route_id", "channel_code");

-- CreateIndex
CREATE INDEX "route_channels_channel_code_idx" ON "route_channels"("channel_code");

-- CreateIndex
CREATE UNIQUE INDEX "channel_attempts_order_id_attempt_no_key" ON "channel_attempts"("order_id", "attempt_no");

-- CreateIndex: the attempts still open per channel are its orders in flight (concurrency).
CREATE INDEX "channel_attempts_open_idx" ON "channel_attempts"("channel_code") WHERE "finished_at" IS NULL;

-- CreateIndex: each channel is tried at most once per order.
CREATE UNIQUE INDEX "channel_attempts_order_id_channel_code_key" ON "channel_attempts"("order_id", "channel_code");

-- AddForeignKey
ALTER TABLE "route_channels" ADD CONSTRAINT "route_channels_route_id_fkey" FOREIGN KEY ("route_id") REFERENCES "routes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "route_channels" ADD CONSTRAINT "route_channels_channel_code_fkey" FOREIGN KEY ("channel_code") REFERENCES "channels"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_attempts" ADD CONSTRAINT "channel_attempts_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_attempts" ADD CONSTRAINT "channel_attempts_channel_code_fkey" FOREIGN KEY ("channel_code") REFERENCES "channels"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The built-in sandbox channel (§10) is always present under the code `simulator`; it can be disabled.
INSERT INTO "channels" ("code", "kind", "name") VALUES ('simulator', 'simulator', '模拟渠道');
