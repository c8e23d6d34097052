/**
 * V8 flags of every pipeline process: the npm scripts, the Docker image and
 * the processes the bench starts pass them (package.json and the Dockerfile
 * repeat them). Semi-spaces of 128 MiB let a chunk's rows die in the young
 * generation instead of being promoted and traced by every major collection
 * of the state: on the 3M-row data, `start --once` took 47–48 s of CPU with
 * 64 MiB and 40–43 s with 128 MiB (and more than that with the default,
 * where collection alone took 5.3–6.5 s of the stream against 3.4 s at 64 MiB).
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=128"];
