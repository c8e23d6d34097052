// Compiles the TypeScript only when a source is newer than the last build's stamp
// (npm start and friends call this; `npm run build` always compiles).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const stamp = path.join(root, "dist", ".build-stamp");
const inputs = ["src", "services", "entities", "bin", "test", "types", "moleculer.config.ts", "tsconfig.json", "package-lock.json"];

function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(p).reduce((newest, name) => Math.max(newest, newestMtime(path.join(p, name))), stat.mtimeMs);
}

const builtAt = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const changedAt = Math.max(...inputs.map((p) => newestMtime(path.join(root, p))));
if (changedAt > builtAt) {
  const started = new Date();
  process.stderr.write(builtAt === 0 ? "building (first build)...\n" : "building (sources changed)...\n");
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, "");
  // Stamped with the start time: a file saved during the build makes the next start build again.
  fs.utimesSync(stamp, started, started);
}
