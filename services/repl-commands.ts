import type { ServiceBroker } from "moleculer";

interface CommandArgs {
  readonly options: Record<string, string | number | boolean | undefined>;
  readonly [arg: string]: unknown;
}

interface TableHelpers {
  table(rows: unknown[][], options?: Record<string, unknown>): string;
  getBorderCharacters(name: string): unknown;
}

function print(helpers: TableHelpers, header: string[], rows: unknown[][]): void {
  const options = { border: helpers.getBorderCharacters("norc"), drawHorizontalLine: (i: number, n: number) => i <= 1 || i === n };
  console.log(rows.length === 0 ? "(none)" : helpers.table([header, ...rows], options));
}

/** REPL commands over the cluster's services; they work from any node that can reach them. moleculer-repl passes parsed arguments, not the string[] its typings claim. */
export const replCommands = [
  {
    command: "detections",
    description: "Latest detections (newest first)",
    options: [
      { option: "-p, --pattern <pattern>", description: "PatId1|PatId2|PatId3 or UPGRADE|CHILD|DEI-NEEDED" },
      { option: "-m, --merchant <merchant>", description: "only this merchant" },
      { option: "-c, --customer <customer>", description: "only this customer" },
      { option: "-n, --limit <n>", description: "how many (default 20)" },
    ],
    async action(broker: ServiceBroker, raw: unknown, helpers: TableHelpers) {
      const { pattern, merchant, customer, limit } = (raw as CommandArgs).options;
      const query: Record<string, string> = { limit: String(limit ?? 20) };
      if (pattern) query.pattern = String(pattern);
      if (merchant) query.merchant = String(merchant);
      if (customer) query.customer = String(customer);
      const page: { items: Array<Record<string, unknown>> } = await broker.call("api.detections", query);
      print(
        helpers,
        ["detected", "pattern", "action", "customer", "merchant", "chunk"],
        page.items.map((d) => [d.detectionTime, d.patternId, d.actionType, d.customer, d.merchant, d.chunk]),
      );
    },
  },
  {
    command: "merchant <id>",
    description: "A merchant's aggregates and the patterns it has fired",
    async action(broker: ServiceBroker, raw: unknown, helpers: TableHelpers) {
      const r: {
        merchant: string;
        partition: number | null;
        transactions: number;
        customers: number;
        femaleCustomers: number;
        maleCustomers: number;
        topCustomers: Array<Record<string, unknown>>;
        detections: Array<Record<string, unknown>>;
      } = await broker.call("merchant-state.merchant", { id: String((raw as CommandArgs).id) });
      console.log(
        `merchant ${r.merchant}: partition ${r.partition ?? "-"}, ${r.transactions} transactions, ${r.customers} customers (F ${r.femaleCustomers}, M ${r.maleCustomers})`,
      );
      print(
        helpers,
        ["top customer", "transactions", "total amount", "avg amount", "weight"],
        r.topCustomers.map((c) => [c.customer, c.transactions, c.totalAmount, c.averageAmount, c.weight === null ? "-" : Number(c.weight).toFixed(4)]),
      );
      print(
        helpers,
        ["pattern", "action", "customer", "chunk", "detected"],
        r.detections.map((d) => [d.patternId, d.actionType, d.customer || "(merchant)", d.chunk, d.detectionTime]),
      );
    },
  },
  {
    command: "partitions",
    description: "Each partition's assigned node, last committer and last applied chunk",
    async action(broker: ServiceBroker, _raw: unknown, helpers: TableHelpers) {
      const rows: Array<{ partition: number; assignedTo: string | null; lastCommitter: string | null; appliedSeq: number; updatedAt: string }> =
        await broker.call("merchant-state.partitions");
      print(
        helpers,
        ["partition", "assigned to", "last committer", "applied chunk", "updated"],
        rows.map((r) => [r.partition, r.assignedTo ?? "-", r.lastCommitter ?? "-", r.appliedSeq, r.updatedAt]),
      );
    },
  },
  {
    command: "stats",
    description: "Pipeline progress",
    async action(broker: ServiceBroker) {
      console.log(JSON.stringify(await broker.call("api.stats"), null, 2));
    },
  },
  {
    command: "flush",
    description: "Write the detections waiting for a full S3 file now",
    async action(broker: ServiceBroker) {
      console.log(`files written: ${await broker.call<number>("s3-sink.flush")}`);
    },
  },
];
