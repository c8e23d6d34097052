/** `--help` / `-h` anywhere in the arguments: prints the usage text on stdout and exits 0. */
export function exitWithUsageIfAsked(argv: readonly string[], usage: string): void {
  if (!argv.some((a) => a === "--help" || a === "-h")) return;
  process.stdout.write(`${usage.trim()}\n`);
  process.exit(0);
}
