const IST_OFFSET_MS = 330 * 60_000;

/** ISO-8601 in India Standard Time, e.g. 2026-11-23T21:05:03.123+05:30 (SPEC.md: times in files are IST). */
export function formatIst(date: Date): string {
  return new Date(date.getTime() + IST_OFFSET_MS).toISOString().replace("Z", "+05:30");
}
