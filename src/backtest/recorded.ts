import { describeError } from "../retry";
import { createBacktest, failBacktest, finishBacktest } from "../storage/backtests";
import { prepareBacktest, type BacktestOutcome, type BacktestRequest, type BacktestSources } from "./backtest";

/** A backtest recorded in table `backtests` and under way. */
export interface StartedBacktest {
  readonly id: number;
  /** Resolves once the result is recorded; rejects once the failure is. */
  readonly done: Promise<BacktestOutcome>;
}

/**
 * Checks the request (BacktestRequestError before anything is recorded),
 * records the backtest as running by `requestedBy`, and runs it: its report
 * is recorded when done, or its error when it fails (`signal`: stop early).
 */
export async function startRecordedBacktest(
  sources: BacktestSources,
  request: BacktestRequest,
  requestedBy: string,
  signal?: AbortSignal,
): Promise<StartedBacktest> {
  const prepared = await prepareBacktest(sources, request);
  const id = await createBacktest(sources.db, { requestedBy, candidate: request.candidate, fromSeq: request.fromSeq, toSeq: request.toSeq });
  const done = prepared.run(signal).then(
    async (outcome) => {
      await finishBacktest(sources.db, id, outcome.report);
      return outcome;
    },
    async (err: unknown) => {
      await failBacktest(sources.db, id, describeError(err));
      throw err;
    },
  );
  return { id, done };
}
