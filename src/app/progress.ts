import type { PipelineStats } from "../api/stats";

/** One progress line for the console. */
export function progressLine(now: PipelineStats, before: PipelineStats | undefined, seconds: number): string {
  const rows = now.chunks.rowsValid + now.chunks.rowsBad;
  const rate = before && seconds > 0 ? (rows - before.chunks.rowsValid - before.chunks.rowsBad) / seconds : 0;
  const byPattern =
    Object.entries(now.detections.byPattern)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([p, n]) => `${p}=${n}`)
      .join(" ") || "none";
  return [
    `chunks landed ${now.chunksWritten}${now.sourceFinished ? " (source done)" : ""}, applied ${now.chunks.applied}, failed ${now.chunks.failed}`,
    `rows ${rows.toLocaleString("en-US")}${before ? ` (${Math.round(rate).toLocaleString("en-US")}/s)` : ""}, bad ${now.chunks.rowsBad.toLocaleString("en-US")}`,
    `detections ${byPattern}`,
    `db ${Object.values(now.inDatabase).reduce((a, b) => a + b, 0)}, s3 files ${now.s3Files}`,
  ].join(" | ");
}
