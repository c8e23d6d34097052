import type { DataSource } from "typeorm";

/** Adds to this node's count of cluster packets dropped for failing authentication. */
export async function addRejectedPackets(ds: DataSource, nodeId: string, added: number): Promise<void> {
  await ds.query(
    `INSERT INTO rejected_packets (node_id, count, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (node_id) DO UPDATE SET count = rejected_packets.count + EXCLUDED.count, updated_at = now()`,
    [nodeId, added],
  );
}

/** Dropped packets over every node that ever counted one. */
export async function rejectedPacketsTotal(ds: DataSource): Promise<number> {
  const [{ total }]: Array<{ total: number }> = await ds.query(`SELECT coalesce(sum(count), 0)::float8 AS total FROM rejected_packets`);
  return total;
}
