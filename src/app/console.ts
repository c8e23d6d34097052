import { Console } from "node:console";

/** Sends every console line (Moleculer's Console logger included) to stderr, leaving stdout to the program's result. */
export function sendConsoleToStderr(): void {
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
}
