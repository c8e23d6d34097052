import { explanationText, type Explanation } from "../src/patterns/explanation";
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

/** The configuration as detector.config answers it. */
interface ConfigView {
  version: number;
  fromSeq: number;
  recordedBy: string;
  recordedAt: string;
  thresholds: Record<string, string | number>;
  rules: Array<{ patternId: string; actionType: string; enabled: boolean }>;
  blacklistEntries: number;
}

/** REPL commands over the cluster's services; they work from any node that can reach them. moleculer-repl passes parsed arguments, not the string[] its typings claim. */
export const replCommands = [
  {
    command: "detections",
    description: "Latest detections (newest first)",
    options: [
      { option: "-p, --pattern <pattern>", description: "PatId1 … PatId6, or UPGRADE, CHILD, DEI-NEEDED, HIGH-VALUE, BLACKLISTED, ANOMALY" },
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
        ["detected", "pattern", "action", "customer", "merchant", "amount", "chunk", "line", "why"],
        page.items.map((d) => [
          d.detectionTime,
          d.patternId,
          d.actionType,
          d.customer,
          d.merchant,
          d.amount ?? "-",
          d.chunk,
          d.line ?? "-",
          explanationText(d.explanation as Explanation | null),
        ]),
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
        detections: Array<Record<string, unknown> & { explanation: Explanation | null }>;
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
        ["pattern", "action", "customer", "chunk", "detected", "why"],
        r.detections.map((d) => [d.patternId, d.actionType, d.customer || "(merchant)", d.chunk, d.detectionTime, explanationText(d.explanation)]),
      );
    },
  },
  {
    command: "customer <id>",
    description: "A customer's totals over every merchant, its merchants and its latest detections",
    async action(broker: ServiceBroker, raw: unknown, helpers: TableHelpers) {
      const c: {
        customer: string;
        partition: number;
        transactions: number;
        totalAmount: string;
        meanAmount: string | null;
        amountStdDev: string | null;
        merchants: Array<{ merchant: string; transactions: number; totalAmount: string }>;
        detections: Array<Record<string, unknown> & { explanation: Explanation | null }>;
      } = await broker.call("customer-state.customer", { id: String((raw as CommandArgs).id) });
      console.log(
        `customer ${c.customer}: partition ${c.partition}, ${c.transactions} transactions, total ${c.totalAmount}, mean ${c.meanAmount ?? "-"}, sd ${c.amountStdDev ?? "-"}, ${c.merchants.length} merchants`,
      );
      print(
        helpers,
        ["merchant", "transactions", "total amount"],
        c.merchants.map((m) => [m.merchant, m.transactions, m.totalAmount]),
      );
      print(
        helpers,
        ["pattern", "action", "merchant", "amount", "chunk", "line", "detected", "why"],
        c.detections.map((d) => [
          d.patternId,
          d.actionType,
          d.merchant,
          d.amount ?? "-",
          d.chunk,
          d.line ?? "-",
          d.detectionTime,
          explanationText(d.explanation),
        ]),
      );
    },
  },
  {
    command: "partitions",
    description: "Each partition's assigned node, last committer and last applied chunk",
    async action(broker: ServiceBroker, _raw: unknown, helpers: TableHelpers) {
      const rows: Array<{ partition: number; kind: string; assignedTo: string | null; lastCommitter: string | null; appliedSeq: number; updatedAt: string }> =
        await broker.call("merchant-state.partitions");
      print(
        helpers,
        ["partition", "kind", "assigned to", "last committer", "applied chunk", "updated"],
        rows.map((r) => [r.partition, r.kind, r.assignedTo ?? "-", r.lastCommitter ?? "-", r.appliedSeq, r.updatedAt]),
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
  {
    command: "config",
    description: "The configuration in force for the next chunk: thresholds, rule switches, blacklist size",
    async action(broker: ServiceBroker, _raw: unknown, helpers: TableHelpers) {
      const c: ConfigView = await broker.call("detector.config");
      console.log(`version ${c.version}, from chunk ${c.fromSeq}, recorded by ${c.recordedBy} at ${c.recordedAt}; blacklist: ${c.blacklistEntries} entries`);
      print(helpers, ["setting", "value"], Object.entries(c.thresholds));
      print(
        helpers,
        ["pattern", "action", "enabled"],
        c.rules.map((r) => [r.patternId, r.actionType, r.enabled ? "yes" : "no"]),
      );
    },
  },
  {
    command: "config-set <setting> <value>",
    description: "Change a threshold from the next chunk on (disabledPatterns: comma-separated ids, or - for none)",
    async action(broker: ServiceBroker, raw: unknown) {
      const { setting, value } = raw as CommandArgs & { setting: string; value: string | number };
      const text = String(value);
      // Counts go as numbers; decimal settings take numbers as their text.
      const parsed = setting === "disabledPatterns" ? (text === "-" ? [] : text.split(",")) : /^\d+$/.test(text) ? Number(text) : text;
      const c: ConfigView = await broker.call("detector.change", { change: { [setting]: parsed }, by: `repl on ${broker.nodeID}` });
      console.log(`version ${c.version} applies from chunk ${c.fromSeq}`);
    },
  },
  {
    command: "blacklist [action] [id] [reason...]",
    description: "List the blacklist; `blacklist add <id> [reason]` or `blacklist remove <id>` changes it from the next chunk on",
    async action(broker: ServiceBroker, raw: unknown, helpers: TableHelpers) {
      const { action, id, reason } = raw as CommandArgs & { action?: string; id?: string | number; reason?: string[] };
      const by = `repl on ${broker.nodeID}`;
      if (action === undefined) {
        const entries: Array<{ id: string; reason: string }> = await broker.call("detector.blacklist");
        return print(
          helpers,
          ["id", "reason"],
          entries.map((e) => [e.id, e.reason]),
        );
      }
      if ((action !== "add" && action !== "remove") || id === undefined) return console.log("usage: blacklist [add <id> [reason] | remove <id>]");
      const change = action === "add" ? { id: String(id), reason: (reason ?? []).join(" ") } : String(id);
      const c: ConfigView = await broker.call(action === "add" ? "detector.addToBlacklist" : "detector.removeFromBlacklist", { change, by });
      console.log(`version ${c.version} applies from chunk ${c.fromSeq}; blacklist: ${c.blacklistEntries} entries`);
    },
  },
];
