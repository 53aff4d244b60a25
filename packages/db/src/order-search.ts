import type { Database } from "./client";
import { orderFromRow, type OrderRow } from "./order-rows";
import type { OrderRecord } from "./records";

/** What ops search orders by (PROTOCOL §11); every field optional, all given ones must match. */
export interface OrderFilter {
  uid?: string;
  orderNo?: string;
  phone?: string;
  serialNumber?: string;
  status?: number;
  channel?: string;
  callbackState?: string;
  /** created_at ≥ from, < to. */
  from?: Date;
  to?: Date;
}

export interface OrderPage {
  items: OrderRecord[];
  /** The id of the last item when more may follow: the next page is older than it. */
  nextBefore: string | null;
}

/**
 * Order search for the admin API: newest first by id, a page at a time (keyset: ids below the last
 * one seen), so a page never repeats or skips an order while new ones are stored meanwhile — new
 * orders have higher ids. One statement text for every combination of filters: each absent filter
 * is a NULL parameter, folded away when the statement is planned (the order path's statements are
 * planned at every execution, client.ts).
 */
export class OrderSearch {
  constructor(private readonly db: Database) {}

  async page(filter: OrderFilter, limit: number, before: string | null = null): Promise<OrderPage> {
    const rows = await this.db.query<OrderRow>(
      "order_search",
      `SELECT o.* FROM orders o
       WHERE ($1::varchar IS NULL OR o.operator_id = (SELECT id FROM operators WHERE uid = $1))
         AND ($2::varchar IS NULL OR o.order_no = $2)
         AND ($3::varchar IS NULL OR o.phone_number = $3)
         AND ($4::varchar IS NULL OR o.serial_number = $4)
         AND ($5::smallint IS NULL OR o.status = $5)
         AND ($6::varchar IS NULL OR o.channel = $6)
         AND ($7::varchar IS NULL OR o.callback_state = $7)
         AND ($8::timestamptz IS NULL OR o.created_at >= $8)
         AND ($9::timestamptz IS NULL OR o.created_at < $9)
         AND ($10::bigint IS NULL OR o.id < $10)
       ORDER BY o.id DESC
       LIMIT $11`,
      [
        filter.uid ?? null,
        filter.orderNo ?? null,
        filter.phone ?? null,
        filter.serialNumber ?? null,
        filter.status ?? null,
        filter.channel ?? null,
        filter.callbackState ?? null,
        filter.from ?? null,
        filter.to ?? null,
        before,
        limit + 1,
      ],
    );
    const items = rows.slice(0, limit).map(orderFromRow);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].id : null };
  }

  /** Every match, newest first, read a page at a time so that memory stays flat however many there are. */
  async *all(filter: OrderFilter, pageSize = 1_000): AsyncGenerator<OrderRecord> {
    let before: string | null = null;
    do {
      const page = await this.page(filter, pageSize, before);
      yield* page.items;
      before = page.nextBefore;
    } while (before !== null);
  }
}
