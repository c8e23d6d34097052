import { Console } from "node:console";
import type { Redactor } from "../redact";

/** Sends every console line (Moleculer's Console logger included) to stderr, leaving stdout to the program's result. */
export function sendConsoleToStderr(): void {
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
}

/** Everything this process writes to stdout and stderr (logs, errors, the REPL) passes through the redactor. */
export function redactOutput(redactor: Redactor, streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = (chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === "string" ? redactor.redact(chunk) : Buffer.isBuffer(chunk) ? redactor.redact(chunk.toString("utf8")) : chunk, ...rest);
  }
}
