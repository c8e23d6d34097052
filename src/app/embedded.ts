import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

export interface EmbeddedServer {
  readonly url: string;
  stop(): Promise<void>;
}

export const EMBEDDED_S3_KEY = "S3RVER";

export interface EmbeddedS3 extends EmbeddedServer {
  /** Calls `listener` with the key of every object stored from now on, as soon as it is stored. */
  onObjectCreated(listener: (key: string) => void): void;
}

interface S3ObjectEvent {
  readonly Records: ReadonlyArray<{ readonly eventName: string; readonly s3: { readonly object: { readonly key: string } } }>;
}

/** An S3-protocol server (s3rver) on loopback, objects kept in `dir`, the bucket created on start. */
export async function startEmbeddedS3(dir: string, port: number, bucket: string): Promise<EmbeddedS3> {
  await mkdir(dir, { recursive: true });
  // Loaded here, not at the top: only an embedded S3 needs it, and loading it takes a few hundred ms.
  const { default: S3rver } = await import("s3rver");
  const server = new S3rver({ address: "127.0.0.1", port, directory: dir, silent: true, configureBuckets: [{ name: bucket }] });
  await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => server.close(),
    onObjectCreated(listener) {
      server.on("event", (event) => {
        for (const r of (event as S3ObjectEvent).Records) if (r.eventName.startsWith("ObjectCreated")) listener(r.s3.object.key);
      });
    },
  };
}

/** A nats-server of our own on a free port when the binary is installed (Debian: nats-server); undefined otherwise. */
export async function startLocalNats(storeDir: string, executableDirs: readonly string[]): Promise<EmbeddedServer | undefined> {
  const binary = executableDirs.map((d) => path.join(d, "nats-server")).find((p) => existsSync(p));
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
