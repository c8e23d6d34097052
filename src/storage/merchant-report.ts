import type { DataSource } from "typeorm";

export interface MerchantReport {
  readonly merchant: string;
  readonly partition: number | null;
  readonly transactions: number;
  readonly customers: number;
  readonly femaleCustomers: number;
  readonly maleCustomers: number;
  readonly topCustomers: Array<{ customer: string; transactions: number; averageAmount: number; weight: number | null }>;
  readonly detections: Array<{ patternId: string; actionType: string; customer: string; chunk: string; detectionTime: Date }>;
}

/** A merchant's committed aggregates and the patterns it has fired, for the REPL and the API. */
export async function merchantReport(ds: DataSource, merchant: string, top = 10): Promise<MerchantReport> {
  const [totals] = await ds.query(
    `SELECT min(partition) AS partition, coalesce(sum(txn_count), 0)::bigint AS transactions, count(*)::int AS customers,
            count(*) FILTER (WHERE gender = 'F')::int AS female, count(*) FILTER (WHERE gender = 'M')::int AS male
     FROM pair_aggregates WHERE merchant = $1`,
    [merchant],
  );
  const topCustomers = await ds.query(
    `SELECT a.customer, a.txn_count AS transactions, round(a.amount_cents / 100.0 / a.txn_count, 2)::float8 AS "averageAmount", w.weight
     FROM pair_aggregates a LEFT JOIN customer_weights w USING (merchant, customer)
     WHERE a.merchant = $1 ORDER BY a.txn_count DESC, a.customer LIMIT $2`,
    [merchant, top],
  );
  const detections = await ds.query(
    `SELECT patternid AS "patternId", actiontype AS "actionType", customer, chunk, detectiontime AS "detectionTime"
     FROM detection_outbox WHERE merchant = $1 ORDER BY id`,
    [merchant],
  );
  return {
    merchant, partition: totals.partition, transactions: totals.transactions, customers: totals.customers,
    femaleCustomers: totals.female, maleCustomers: totals.male, topCustomers, detections,
  };
}
