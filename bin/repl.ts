import "../src/app/compile-cache";
import { hostname } from "node:os";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { replCommands } from "../services/repl-commands";
import { redactOutput } from "../src/app/console";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { ConfigError, loadConfig, secretsInEnvironment } from "../src/config";
import { Redactor, redactUrl } from "../src/redact";

const HELP = `
usage: npm run repl -- [--transporter nats://[user:pass@]host:4222]

Joins a running cluster as a node of its own and opens a Moleculer REPL on it.
Needs the cluster's TRANSPORTER and CLUSTER_SECRET. For the one-process pipeline
(no TRANSPORTER) use \`npm start -- --repl\` instead: the REPL runs in that process.

Environment: TRANSPORTER, CLUSTER_SECRET.
`;

/** `npm run repl`: a Moleculer REPL on a node of its own in a running cluster. */
async function main(): Promise<void> {
  redactOutput(new Redactor(secretsInEnvironment(process.env)));
  exitWithUsageIfAsked(process.argv.slice(2), HELP);
  const config = loadConfig(process.env, process.argv.slice(2));
  if (!config.transporter) {
    throw new ConfigError("npm run repl joins a cluster: set TRANSPORTER and CLUSTER_SECRET (for the one-process pipeline use npm start -- --repl)");
  }
  const broker = new ServiceBroker(
    brokerOptions(
      { ...config, nodeId: `${hostname()}-repl-${process.pid}`, logLevel: "warn" },
      { replOptions: { customCommands: replCommands, delimiter: "tm $" } },
    ),
  );
  await broker.start();
  try {
    await broker.waitForServices(["api", "merchant-state"], 15_000);
  } catch {
    console.error(`no pipeline answered on ${redactUrl(config.transporter)} within 15 s; is it running, with this CLUSTER_SECRET? The REPL starts anyway.`);
  }
  broker.repl();
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : `repl failed: ${(err as Error).message}`);
  process.exit(2);
});
