import "../src/app/compile-cache";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { benchStateApply } from "../src/bench/state-apply";
import { ConfigError, loadConfig, parseFlags } from "../src/config";
import { PATTERN_RULES, TRANSACTION_RULES } from "../src/patterns";

const USAGE = "usage: npm run bench:state -- --source TRANSACTIONS.csv --importance IMPORTANCE.csv [--rules all|none]";

const HELP = `
${USAGE}

Applies a transactions CSV to the merchant-state's in-memory partitions chunk
by chunk (CHUNK_ROWS, PARTITIONS and the pattern thresholds from the
environment, as npm start reads them), with no database, S3 or broker, and
prints the CPU seconds spent applying rows and evaluating the patterns.
--rules none applies the rows only. The detections' fingerprint is equal for
equal detections, so two builds can be compared on the same data.
`;

/** `npm run bench:state`: the CPU cost of applying chunks and evaluating the patterns, in one process. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  exitWithUsageIfAsked(argv, HELP);
  const config = loadConfig(process.env, argv, ["rules"]);
  const rulesFlag = parseFlags(argv).get("rules") ?? "all";
  if (rulesFlag !== "all" && rulesFlag !== "none") throw new ConfigError(`--rules must be all or none, got "${rulesFlag}"`);
  if (!config.source || !config.importance) throw new ConfigError(`--source and --importance are required\n${USAGE}`);
  const result = await benchStateApply({
    source: config.source,
    importance: config.importance,
    partitions: config.partitions,
    chunkRows: config.chunkRows,
    rules: rulesFlag === "none" ? [] : PATTERN_RULES,
    transactionRules: rulesFlag === "none" ? [] : TRANSACTION_RULES,
    thresholds: config.thresholds,
  });
  const detections = [...result.detectionsByPattern].sort().map(([p, n]) => `${p} ${n}`);
  console.log(
    [
      `${result.rows} rows in ${result.chunks} chunks, rules: ${rulesFlag}`,
      `apply CPU: ${result.applyCpuSeconds.toFixed(2)} s (${Math.round(result.rows / result.applyCpuSeconds)} rows/s)`,
      `detections: ${detections.join(", ") || "none"}; fingerprint ${result.fingerprint}`,
    ].join("\n"),
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `bench:state failed: ${(err as Error).stack}`);
  process.exit(2);
});
