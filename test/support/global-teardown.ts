import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
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
      if (kind === "database") await dropDatabase(name).catch((err: Error) => console.warn(`could not drop database ${name}: ${err.message}`));
      if (kind === "bucket") await deleteBucket(testS3(name)).catch((err: Error) => console.warn(`could not delete bucket ${name}: ${err.message}`));
    }
  }
  for (const server of (globalThis.__testServers ?? []).reverse()) await server.stop().catch(() => undefined);
  const folders = [...(globalThis.__testFolders ?? []), ...(dir ? [...embeddedDataElsewhere(dir), dir] : [])];
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
}

/** As root, an embedded run keeps its PostgreSQL data outside DATA_DIR; DATA_DIR/postgres is then a file naming it. */
function embeddedDataElsewhere(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name === "postgres")
    .map((e) => readFileSync(path.join(e.parentPath, e.name), "utf8").trim())
    .filter((p) => path.isAbsolute(p) && existsSync(path.join(p, "PG_VERSION")));
}
