import "../src/app/compile-cache";
import { readFile } from "node:fs/promises";
import { redactOutput } from "../src/app/console";
import { resolveDefaults, stopAll } from "../src/app/launch";
import { Runtime } from "../src/app/runtime";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { BacktestRequestError } from "../src/backtest/candidate";
import { startRecordedBacktest } from "../src/backtest/recorded";
import { renderReport } from "../src/backtest/render";
import { ConfigError, loadConfig, parseFlags, secretsInEnvironment } from "../src/config";
import type { Log } from "../src/log";
import { Redactor } from "../src/redact";
import { BucketMissingError } from "../src/storage/object-store";

const USAGE = "usage: npm run backtest -- --config CANDIDATE.json [--from SEQ] [--to SEQ] [--json]";

const HELP = `
${USAGE}

Replays the chunks the pipeline has applied (the ledger, table chunks; the
objects in S3) twice, from the first one, in memory: "as live", each chunk
with the configuration version in force for it (table config_versions), and
"candidate", with the settings of CANDIDATE.json applied on top of that
version. Prints, per pattern, the detections of each and those the candidate
adds and removes, with examples. Only detections of chunks --from SEQ to
--to SEQ (ledger sequences, both included; default all) are compared; the
state always builds up from the first chunk.

CANDIDATE.json holds what PUT /api/config takes, e.g.
  {"childMinTxns": 60, "anomalyZ": "3.5", "disabledPatterns": ["PatId6"]}
and optionally "blacklist": [{"id": "C123", "reason": "..."}], which replaces
the blacklist. The live tables and bucket are only read; the run and its
result are recorded in table backtests (requested_by cli). --json prints the
report as JSON.

Same environment as npm start: DATABASE_URL, S3_*, PARTITIONS, MAX_RECORD_BYTES
(or DATA_DIR and the embedded servers when those are not set).
`;

const quiet: Log = { info: () => undefined, debug: () => undefined, warn: (...a) => console.error(...a), error: (...a) => console.error(...a) };

/** `npm run backtest`: what a candidate configuration would have detected on the archived chunks, against what was. */
async function main(): Promise<void> {
  redactOutput(new Redactor(secretsInEnvironment(process.env)));
  const argv = process.argv.slice(2);
  exitWithUsageIfAsked(argv, HELP);
  const config = loadConfig(process.env, argv, ["config", "from", "to", "json"]);
  const flags = parseFlags(argv);
  const file = flags.get("config");
  if (!file || file === "true") throw new ConfigError(`--config CANDIDATE.json is required\n${USAGE}`);
  const candidate = await readCandidate(file);
  const fromSeq = seqFlag(flags, "from");
  const toSeq = seqFlag(flags, "to");

  const { config: resolved, embedded } = await resolveDefaults({ ...config, services: [] }, quiet);
  const runtime = new Runtime(resolved, quiet);
  try {
    const started = await startRecordedBacktest(await runtime.backtestSources(), { candidate, fromSeq, toSeq }, "cli");
    const { report } = await started.done;
    process.stdout.write(
      `${flags.has("json") ? JSON.stringify({ id: started.id, ...report }, null, 2) : `backtest ${started.id}\n${renderReport(report, candidate)}`}\n`,
    );
  } finally {
    await runtime.close();
    await stopAll(embedded);
  }
}

async function readCandidate(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read the candidate ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(`the candidate ${file} is not JSON: ${(err as Error).message}`);
  }
}

function seqFlag(flags: ReadonlyMap<string, string>, name: string): number | undefined {
  const text = flags.get(name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ConfigError(`--${name} must be a chunk sequence (an integer from 1 up), got "${text}"`);
  return Number(text);
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof BacktestRequestError || err instanceof BucketMissingError) {
    console.error(`backtest: ${err.message}`);
    process.exit(2);
  }
  console.error(`backtest failed: ${(err as Error).stack}`);
  process.exit(1);
});
