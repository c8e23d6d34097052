import { hostname } from "node:os";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { replCommands } from "../services/repl-commands";
import { redactOutput } from "../src/app/console";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { ConfigError, loadConfig, secretsInEnvironment } from "../src/config";
import { Redactor } from "../src/redact";

const HELP = `
usage: npm run repl -- [--transporter nats://host:4222] [--pipeline-node NODE_ID]

Attaches a Moleculer REPL to a running pipeline: over NATS when --transporter /
TRANSPORTER is set, else to the embedded pipeline's control port on 127.0.0.1.

Environment: TRANSPORTER, CONTROL_PORT (default 6001), PIPELINE_NODE_ID (default
<hostname>-all, the node id of a plain npm start).
`;

/**
 * `npm run repl`: attaches a Moleculer REPL to a running pipeline, over NATS
 * (--transporter / TRANSPORTER) or to the embedded pipeline's control port.
 */
async function main(): Promise<void> {
  redactOutput(new Redactor(secretsInEnvironment(process.env)));
  exitWithUsageIfAsked(process.argv.slice(2), HELP);
  const config = loadConfig(process.env, process.argv.slice(2), ["pipeline-node"]);
  const flags = new Map(process.argv.slice(2).map((a, i, all) => [a, all[i + 1]]));
  const pipelineNode = flags.get("--pipeline-node") ?? process.env.PIPELINE_NODE_ID ?? `${hostname()}-all`;
  const broker = new ServiceBroker(
    brokerOptions(
      {
        ...config,
        nodeId: `${hostname()}-repl-${process.pid}`,
        logLevel: "warn",
        controlPort: 0,
        controlPeers: config.transporter ? [] : [`127.0.0.1:${config.controlPort}/${pipelineNode}`],
      },
      { replOptions: { customCommands: replCommands, delimiter: "tm $" } },
    ),
  );
  await broker.start();
  const where = config.transporter ?? `the embedded pipeline at 127.0.0.1:${config.controlPort} (node ${pipelineNode})`;
  try {
    await broker.waitForServices(["api", "merchant-state"], 15_000);
  } catch {
    console.error(`no pipeline answered on ${where} within 15 s; is it running? The REPL starts anyway.`);
  }
  broker.repl();
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : `repl failed: ${(err as Error).message}`);
  process.exit(2);
});
