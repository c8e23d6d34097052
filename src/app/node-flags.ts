/**
 * V8 flags of every pipeline process: the npm scripts, the Docker image and
 * the processes the bench starts pass them (package.json and the Dockerfile
 * repeat them). Semi-spaces of 64 MiB let a chunk's rows die in the young
 * generation instead of being promoted and traced by every major collection
 * of the state: on the 3M-row data, collection in the stream fell from
 * 5.3–6.5 s to 3.4 s of CPU.
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
