import "../src/app/compile-cache";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { ConfigError, parseFlags } from "../src/config";
import { BANKSIM_ROWS, generate } from "../src/demo/generator";

const USAGE = "usage: npm run generate -- [--rows N] [--seed S] [--out DIR] [--dirty FRACTION] [--customers N] [--merchants N]";

const HELP = `
${USAGE}

Writes BankSim-shaped transactions.csv and CustomerImportance.csv into --out
(default data/): --rows (default 594643, BankSim's size), --seed (default 42),
--dirty: the fraction of malformed rows mixed in (default 0), --customers and
--merchants: how many distinct ones. Reads no environment variables.
`;

/** `npm run generate`: BankSim-shaped transactions.csv and CustomerImportance.csv. */
async function main(): Promise<void> {
  exitWithUsageIfAsked(process.argv.slice(2), HELP);
  const flags = parseFlags(process.argv.slice(2));
  const known = new Set(["rows", "seed", "out", "dirty", "customers", "merchants"]);
  for (const name of flags.keys()) if (!known.has(name)) throw new ConfigError(`unknown flag --${name}\n${USAGE}`);
  const count = (name: string, fallback?: number): number | undefined => {
    const text = flags.get(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new ConfigError(`--${name} must be a positive integer, got "${text}"`);
    return Number(text);
  };
  const dirty = Number(flags.get("dirty") ?? "0");
  if (!(dirty >= 0 && dirty < 1)) throw new ConfigError(`--dirty must be a fraction in [0, 1), got "${flags.get("dirty")}"`);
  const started = Date.now();
  const out = await generate({
    rows: count("rows", BANKSIM_ROWS)!,
    seed: count("seed", 42)!,
    outDir: flags.get("out") ?? "data",
    dirty,
    customers: count("customers"),
    merchants: count("merchants"),
  });
  console.log(
    `wrote ${out.rows} rows (+${out.dirtyRows} malformed) to ${out.transactions} and ${out.importance} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `generate failed: ${(err as Error).message}`);
  process.exit(2);
});
