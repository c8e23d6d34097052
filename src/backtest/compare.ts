import type { ReplayedDetection } from "./replay";

/** The chunks whose detections are compared, by ledger sequence, both ends included. */
export interface SeqRange {
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** A detection as a backtest reports it. */
export interface DetectionExample {
  readonly customer: string;
  readonly merchant: string;
  /** The sequence and key of the chunk that fired it. */
  readonly seq: number;
  readonly chunk: string;
  /** PatId4–6: the transaction's line in its chunk object and its amount as written. */
  readonly line?: number;
  readonly amount?: string;
}

/** One pattern's detections as live and with the candidate, over the compared chunks. */
export interface PatternComparison {
  readonly patternId: string;
  readonly actionType: string;
  readonly live: number;
  readonly candidate: number;
  readonly added: number;
  readonly removed: number;
  readonly addedExamples: readonly DetectionExample[];
  readonly removedExamples: readonly DetectionExample[];
}

/**
 * What identifies a detection across the two replays: (pattern, customer,
 * merchant) for PatId1–3, which fire once per pair, wherever; (pattern, chunk,
 * line) for PatId4–6, which fire per transaction.
 */
function detectionIdentity(d: ReplayedDetection): string {
  return d.line === undefined ? `${d.patternId}|${d.customer}|${d.merchant}` : `${d.patternId}|${d.chunk}|${d.line}`;
}

/**
 * Per pattern (in `patterns` order): the detections of each replay whose chunk
 * is in `range`; those of the candidate the live replay never fired up to the
 * end of the range (added), and those of the live replay the candidate never
 * fired (removed), with the first `examples` of each in chunk order. A
 * PatId1–3 detection the other replay fired before the range is neither: it
 * only fired earlier.
 */
export function compareDetections(
  patterns: ReadonlyArray<{ readonly patternId: string; readonly actionType: string }>,
  live: readonly ReplayedDetection[],
  candidate: readonly ReplayedDetection[],
  range: SeqRange,
  examples = 5,
): PatternComparison[] {
  const inRange = (list: readonly ReplayedDetection[]) => list.filter((d) => d.seq >= range.fromSeq && d.seq <= range.toSeq);
  const firedBy = (list: readonly ReplayedDetection[]) => new Set(list.filter((d) => d.seq <= range.toSeq).map(detectionIdentity));
  const before = inRange(live);
  const after = inRange(candidate);
  const liveFired = firedBy(live);
  const candidateFired = firedBy(candidate);
  return patterns.map(({ patternId, actionType }) => {
    const mine = (list: readonly ReplayedDetection[]) => list.filter((d) => d.patternId === patternId);
    const added = mine(after).filter((d) => !liveFired.has(detectionIdentity(d)));
    const removed = mine(before).filter((d) => !candidateFired.has(detectionIdentity(d)));
    return {
      patternId,
      actionType,
      live: mine(before).length,
      candidate: mine(after).length,
      added: added.length,
      removed: removed.length,
      addedExamples: firstExamples(added, examples),
      removedExamples: firstExamples(removed, examples),
    };
  });
}

function firstExamples(list: readonly ReplayedDetection[], n: number): DetectionExample[] {
  return [...list]
    .sort((a, b) => a.seq - b.seq || (a.line ?? 0) - (b.line ?? 0))
    .slice(0, n)
    .map((d) => ({
      customer: d.customer,
      merchant: d.merchant,
      seq: d.seq,
      chunk: d.chunk,
      ...(d.line === undefined ? {} : { line: d.line, amount: d.amount }),
    }));
}
