export default async function globalTeardown(): Promise<void> {
  for (const server of (globalThis.__testServers ?? []).reverse()) await server.stop().catch(() => undefined);
}
