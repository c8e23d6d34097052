import type { BacktestReport } from "./backtest";
import type { DetectionExample } from "./compare";

/** The report as `npm run backtest` prints it: a table of counts per pattern, then examples of what changes. */
export function renderReport(report: BacktestReport, candidate: unknown): string {
  const { replayed, compared } = report;
  const lines = [
    `candidate: ${JSON.stringify(candidate)}`,
    replayed.chunks === 0
      ? "no applied chunk to replay"
      : `replayed ${replayed.chunks} chunks (seq ${replayed.firstSeq}–${replayed.lastSeq}); compared ${compared.chunks} (seq ${compared.fromSeq ?? "-"}–${compared.toSeq ?? "-"})`,
    "",
    row(["pattern", "action", "as live", "candidate", "added", "removed"]),
    ...report.patterns.map((p) => row([p.patternId, p.actionType, p.live, p.candidate, `+${p.added}`, `-${p.removed}`])),
  ];
  for (const p of report.patterns) {
    if (p.added === 0 && p.removed === 0) continue;
    lines.push("", `${p.patternId} ${p.actionType}:`);
    for (const e of p.addedExamples) lines.push(`  + ${example(e)}`);
    if (p.added > p.addedExamples.length) lines.push(`  + … ${p.added - p.addedExamples.length} more`);
    for (const e of p.removedExamples) lines.push(`  - ${example(e)}`);
    if (p.removed > p.removedExamples.length) lines.push(`  - … ${p.removed - p.removedExamples.length} more`);
  }
  return lines.join("\n");
}

const WIDTHS = [8, 11, 9, 10, 8, 8];

function row(cells: ReadonlyArray<string | number>): string {
  return cells
    .map((c, i) => (i < 2 ? String(c).padEnd(WIDTHS[i]) : String(c).padStart(WIDTHS[i])))
    .join(" ")
    .trimEnd();
}

function example(e: DetectionExample): string {
  const where = `chunk ${e.seq}${e.line === undefined ? "" : `, line ${e.line}`}`;
  return `${e.customer} at ${e.merchant}${e.amount === undefined ? "" : `, amount ${e.amount}`} (${where})`;
}
