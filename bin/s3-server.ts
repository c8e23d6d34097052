import "../src/app/compile-cache";
import { exitWithUsageIfAsked } from "../src/app/usage";
import path from "node:path";
import { EMBEDDED_S3_KEY, startEmbeddedS3 } from "../src/app/embedded";
import { ConfigError, embeddedS3Defaults, parseFlags } from "../src/config";

const USAGE = "usage: npm run s3-server -- [--port 4569] [--dir .data/s3] [--bucket transaction-monitoring-bucket]";

const HELP = `
${USAGE}

The embedded S3-compatible server (s3rver) on its own, for a cluster on one
machine; prints the S3_* settings the nodes need.

Environment: EMBEDDED_S3_PORT (default for --port), S3_BUCKET (default for --bucket).
`;

/** `npm run s3-server`: the embedded S3-compatible server on its own, for a cluster on one machine. */
async function main(): Promise<void> {
  exitWithUsageIfAsked(process.argv.slice(2), HELP);
  const flags = parseFlags(process.argv.slice(2));
  for (const name of flags.keys()) if (!["port", "dir", "bucket"].includes(name)) throw new ConfigError(`unknown flag --${name}\n${USAGE}`);
  const defaults = embeddedS3Defaults(process.env);
  const port = Number(flags.get("port") ?? defaults.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`--port must be a port number\n${USAGE}`);
  const bucket = flags.get("bucket") ?? defaults.bucket;
  const server = await startEmbeddedS3(path.resolve(flags.get("dir") ?? ".data/s3"), port, bucket);
  console.log(`S3_ENDPOINT=${server.url} S3_BUCKET=${bucket} AWS_ACCESS_KEY_ID=${EMBEDDED_S3_KEY} AWS_SECRET_ACCESS_KEY=${EMBEDDED_S3_KEY}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `s3-server failed: ${(err as Error).message}`);
  process.exit(2);
});
