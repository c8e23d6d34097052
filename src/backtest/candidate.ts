import { ConfigHistory, thresholdsOf } from "../patterns";
import { blacklistAddition, ConfigChangeError, settingsEdit, type ConfigEdit } from "../patterns/config-change";
import type { ConfigVersionRow, RecordedThresholds } from "../storage/config-versions";

/** A backtest that cannot run as asked: a bad candidate or chunk range; the message says why, for the person who asked. */
export class BacktestRequestError extends Error {
  override name = "BacktestRequestError";
}

/**
 * The edit a candidate configuration makes to a recorded version: the
 * settings `PUT /api/config` takes, and optionally `"blacklist": [{id, reason}]`,
 * which replaces the blacklist (`[]` empties it).
 */
export function candidateEdit(candidate: unknown): ConfigEdit {
  if (candidate === null || typeof candidate !== "object" || Array.isArray(candidate)) {
    throw new BacktestRequestError(
      'the candidate must be a JSON object of settings (those PUT /api/config takes) and optionally "blacklist": [{"id", "reason"}]',
    );
  }
  const { blacklist, ...settings } = candidate as Record<string, unknown>;
  const edits: ConfigEdit[] = [];
  try {
    if (Object.keys(settings).length > 0) edits.push(settingsEdit(settings));
    if (blacklist !== undefined) edits.push(blacklistReplacement(blacklist));
  } catch (err) {
    throw asRequestError(err);
  }
  if (edits.length === 0) throw new BacktestRequestError("the candidate changes nothing: give some settings or a blacklist");
  return (latest) => {
    try {
      return edits.reduce((recorded, edit) => edit(recorded), latest);
    } catch (err) {
      throw asRequestError(err);
    }
  };
}

/**
 * The history the candidate makes of the recorded one: each version with the
 * candidate applied on top of it, from the same chunk. Checks every value now.
 */
export function candidateHistory(versions: readonly ConfigVersionRow[], edit: ConfigEdit): ConfigHistory {
  return new ConfigHistory(
    versions.map((v) => {
      const edited = edit(v.thresholds);
      let thresholds;
      try {
        thresholds = thresholdsOf(edited, "the candidate");
      } catch (err) {
        // Every value here comes from the candidate or a recorded version, which was checked when recorded.
        throw new BacktestRequestError((err as Error).message);
      }
      return { version: v.version, fromSeq: v.fromSeq, thresholds };
    }),
  );
}

function blacklistReplacement(entries: unknown): ConfigEdit {
  if (!Array.isArray(entries)) throw new ConfigChangeError('blacklist must be a list of {"id": "...", "reason": "..."} (it replaces the blacklist)');
  const add = entries.length > 0 ? blacklistAddition(entries) : undefined;
  return (latest: RecordedThresholds) => {
    const emptied = { ...latest, blacklist: [] };
    return add ? add(emptied) : emptied;
  };
}

function asRequestError(err: unknown): Error {
  if (err instanceof ConfigChangeError) return new BacktestRequestError(err.message);
  return err instanceof Error ? err : new Error(String(err));
}
