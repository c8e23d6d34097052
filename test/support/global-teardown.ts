import { existsSync, readFileSync, rmSync } from "node:fs";
import { deleteBucket, dropDatabase, testS3 } from "./infra";

/**
 * Drops whatever a test file left behind (it crashed before its afterAll),
 * stops the servers, and removes the run's temporary folder.
 */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.TEST_TMP;
  const list = dir ? `${dir}/created.txt` : undefined;
  if (list && existsSync(list)) {
    for (const line of readFileSync(list, "utf8").split("\n")) {
      const [kind, name] = line.split(" ");
      if (kind === "database") await dropDatabase(name).catch((err) => console.warn(`could not drop database ${name}: ${err.message}`));
      if (kind === "bucket") await deleteBucket(testS3(name)).catch((err) => console.warn(`could not delete bucket ${name}: ${err.message}`));
    }
  }
  for (const server of (globalThis.__testServers ?? []).reverse()) await server.stop().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
}
