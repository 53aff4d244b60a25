-- CreateTable
CREATE TABLE "operators" (
    "id" BIGSERIAL NOT NULL,
    "uid" VARCHAR(32) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "md5_key" VARCHAR(64) NOT NULL,
    "rate_bp" INTEGER NOT NULL DEFAULT 10000,
    "ip_whitelist" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "strict_carrier" BOOLEAN NOT NULL DEFAULT false,
    "face_values" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "rate_limit_per_second" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operators_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "accounts" (
    "id" BIGSERIAL NOT NULL,
    "operator_id" BIGINT NOT NULL,
    "balance" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "account_id" BIGINT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "order_id" BIGINT,
    "record" VARCHAR(128) NOT NULL,
    "pay_money" BIGINT NOT NULL DEFAULT 0,
    "income" BIGINT NOT NULL DEFAULT 0,
    "expenditure" BIGINT NOT NULL DEFAULT 0,
    "balance_after" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" BIGSERIAL NOT NULL,
    "serial_number" VARCHAR(32) NOT NULL,
    "operator_id" BIGINT NOT NULL,
    "order_no" VARCHAR(64) NOT NULL,
    "order_type" SMALLINT NOT NULL,
    "mobile_type" SMALLINT NOT NULL,
    "phone_number" VARCHAR(11) NOT NULL,
    "face_value" INTEGER NOT NULL,
    "settlement_rate_bp" INTEGER NOT NULL,
    "notify_url" VARCHAR(512) NOT NULL,
    "status" SMALLINT NOT NULL DEFAULT 5,
    "channel" VARCHAR(32),
    "mobile_order_no" VARCHAR(64),
    "callback_state" VARCHAR(16) NOT NULL DEFAULT 'none',
    "callback_round" INTEGER NOT NULL DEFAULT 0,
    "client_ip" VARCHAR(64),
    "next_check_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_transitions" (
    "id" BIGSERIAL NOT NULL,
    "order_id" BIGINT NOT NULL,
    "from_status" SMALLINT,
    "to_status" SMALLINT NOT NULL,
    "reason" VARCHAR(256),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_transitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "callback_attempts" (
    "id" BIGSERIAL NOT NULL,
    "order_id" BIGINT NOT NULL,
    "round" INTEGER NOT NULL,
    "attempt_no" INTEGER NOT NULL,
    "status" SMALLINT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "http_status" INTEGER,
    "body_excerpt" VARCHAR(1024),
    "latency_ms" INTEGER NOT NULL,
    "error" VARCHAR(512),
    "remote_address" VARCHAR(64),
    "acknowledged" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "callback_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "action" VARCHAR(64) NOT NULL,
    "target_type" VARCHAR(32) NOT NULL,
    "target_id" VARCHAR(64) NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operators_uid_key" ON "operators"("uid");

-- CreateIndex
CREATE UNIQUE INDEX "accounts_operator_id_key" ON "accounts"("operator_id");

-- CreateIndex
CREATE INDEX "ledger_entries_account_id_id_idx" ON "ledger_entries"("account_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entries_order_id_kind_key" ON "ledger_entries"("order_id", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "orders_serial_number_key" ON "orders"("serial_number");

-- CreateIndex
CREATE INDEX "orders_next_check_at_idx" ON "orders"("next_check_at");

-- CreateIndex
CREATE INDEX "orders_callback_state_updated_at_idx" ON "orders"("callback_state", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "orders_operator_id_order_no_key" ON "orders"("operator_id", "order_no");

-- CreateIndex
CREATE INDEX "order_transitions_order_id_id_idx" ON "order_transitions"("order_id", "id");

-- CreateIndex
CREATE INDEX "callback_attempts_order_id_id_idx" ON "callback_attempts"("order_id", "id");

-- CreateIndex
CREATE INDEX "audit_log_target_type_target_id_idx" ON "audit_log"("target_type", "target_id");

-- AddForeignKey
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_transitions" ADD CONSTRAINT "order_transitions_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "callback_attempts" ADD CONSTRAINT "callback_attempts_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Order ids travel as JSON numbers (order query `id`): keep them exact in every JSON parser.
ALTER SEQUENCE "orders_id_seq" MAXVALUE 9007199254740991;
