import { Errors, type Context, type ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { ALL_RULES, sameThresholds, thresholdsOf, type PatternThresholds } from "../src/patterns";
import { readBlacklist } from "../src/patterns/blacklist";
import {
  blacklistAddition,
  blacklistRemoval,
  ConfigChangeError,
  describeChanges,
  settingsEdit,
  startupChange,
  startupRecordedBy,
  type ConfigEdit,
} from "../src/patterns/config-change";
import { readConfigVersions, recordNextVersion, recordStartupVersion, type ConfigVersionRow } from "../src/storage/config-versions";
import { BacktestRequestError } from "../src/backtest/candidate";
import { BacktestBusyError, BacktestRunner } from "../src/backtest/runner";
import { listBacktests, readBacktest } from "../src/storage/backtests";

/** A change and who asks for it (`api key <name>`, `repl on <node>`). */
interface ChangeRequest<T> {
  readonly change: T;
  readonly by: string;
}

/** A backtest to start: the candidate settings, the chunks to compare, and who asks (`api key <name>`). */
interface BacktestCall {
  readonly candidate: unknown;
  readonly from?: number;
  readonly to?: number;
  readonly by: string;
}

/** The configuration in force for the next chunk, as users see it. */
function configView(version: ConfigVersionRow) {
  const t = thresholdsOf(version.thresholds, `configuration version ${version.version}`);
  return {
    version: version.version,
    fromSeq: version.fromSeq,
    recordedBy: version.recordedBy,
    recordedAt: version.recordedAt,
    rules: ALL_RULES.map((r) => ({ patternId: r.patternId, actionType: r.actionType, enabled: !t.disabledPatterns.includes(r.patternId) })),
    thresholds: {
      upgradeMinMerchantTxns: t.upgradeMinMerchantTxns,
      upgradeCountQuantile: t.upgradeCountQuantile.text,
      upgradeWeightQuantile: t.upgradeWeightQuantile.text,
      childMinTxns: t.childMinTxns,
      childMaxAvgAmount: t.childMaxAvgAmount,
      deiMinFemaleCustomers: t.deiMinFemaleCustomers,
      highValueMinAmount: t.highValueMinAmount,
      anomalyMinHistory: t.anomalyMinHistory,
      anomalyZ: t.anomalyZ,
    },
    disabledPatterns: t.disabledPatterns,
    blacklistEntries: t.blacklist.length,
  };
}

/**
 * The owner of the configuration in force: the pattern catalogue, the
 * versioned thresholds, rule switches and blacklist (table `config_versions`,
 * which is also the audit trail: who recorded each version, when, and from
 * which chunk it applies). On start it records the settings it was given that
 * changed since the last start; a change through the API or the REPL records
 * a version too. A version applies from the chunk after the last one any
 * partition committed; merchant-state computes every chunk, replays included,
 * with the version in force for that chunk. The rules themselves run inside
 * merchant-state, where detections commit atomically with the state that
 * produced them.
 */
export function detectorService(rt: Runtime): ServiceSchema {
  const versions = async (): Promise<ConfigVersionRow[]> => readConfigVersions(await rt.db());
  const latest = async (): Promise<ConfigVersionRow> => {
    const version = (await versions()).at(-1);
    if (!version) throw new Error("no configuration version is recorded yet");
    return version;
  };
  /** Records what `edit` makes of the latest version, unless no rule would notice; answers the configuration then in force. */
  const record = async (edit: () => ConfigEdit, by: string) => {
    let next: ConfigEdit;
    try {
      next = edit();
      const recorded = await recordNextVersion(await rt.db(), by, (all) => {
        const last = all.at(-1);
        if (!last) throw new Error("no configuration version is recorded yet");
        const changed = next(last.thresholds);
        return sameThresholds(thresholdsOf(changed, "the new configuration"), thresholdsOf(last.thresholds, "the latest configuration")) ? undefined : changed;
      });
      return configView(recorded.at(-1)!);
    } catch (err) {
      if (err instanceof ConfigChangeError) throw new Errors.MoleculerClientError(err.message, 400, "INVALID_CONFIG_CHANGE");
      throw err;
    }
  };

  /** Set when the service is created, with its logger. */
  let backtests: BacktestRunner;
  /** Records a backtest and runs it in the background; answers at once. A bad candidate or range: 400; one under way already: 409. */
  const backtest = async (call: BacktestCall) => {
    try {
      const id = await backtests.start({ candidate: call.candidate, fromSeq: call.from, toSeq: call.to }, call.by);
      return { id, status: "running" };
    } catch (err) {
      if (err instanceof BacktestRequestError) throw new Errors.MoleculerClientError(err.message, 400, "INVALID_BACKTEST");
      if (err instanceof BacktestBusyError) throw new Errors.MoleculerClientError(err.message, 409, "BACKTEST_RUNNING");
      throw err;
    }
  };

  return {
    name: "detector",
    actions: {
      rules: {
        handler: () => ALL_RULES.map((r) => ({ patternId: r.patternId, actionType: r.actionType })),
      },
      /** The thresholds in force for the next chunk. */
      thresholds: {
        handler: async (): Promise<PatternThresholds> => {
          const version = await latest();
          return thresholdsOf(version.thresholds, `configuration version ${version.version}`);
        },
      },
      /** The version in force for the next chunk, with the chunk it applies from. */
      version: {
        handler: latest,
      },
      /** Every version, oldest first. */
      history: {
        handler: versions,
      },
      /** The configuration in force for the next chunk: thresholds, rule switches, blacklist size. */
      config: {
        handler: async () => configView(await latest()),
      },
      /** Every version with who recorded it, when, from which chunk it applies, and what it changed; newest first. */
      changes: {
        handler: async () => {
          const all = await versions();
          return all
            .map((v, i) => ({
              version: v.version,
              fromSeq: v.fromSeq,
              recordedBy: v.recordedBy,
              recordedAt: v.recordedAt,
              changes: describeChanges(all[i - 1]?.thresholds, v.thresholds),
            }))
            .reverse();
        },
      },
      /** Sets thresholds and rule switches from the next chunk on. */
      change: {
        handler: (ctx: Context<ChangeRequest<unknown>>) => record(() => settingsEdit(ctx.params.change), ctx.params.by),
      },
      blacklist: {
        handler: async () => thresholdsOf((await latest()).thresholds, "the latest configuration").blacklist,
      },
      addToBlacklist: {
        handler: (ctx: Context<ChangeRequest<unknown>>) => record(() => blacklistAddition(ctx.params.change), ctx.params.by),
      },
      removeFromBlacklist: {
        handler: (ctx: Context<ChangeRequest<string>>) => record(() => blacklistRemoval(String(ctx.params.change)), ctx.params.by),
      },
      /** Starts a backtest of a candidate configuration over the applied chunks: `{id, status: "running"}` at once. */
      backtest: {
        params: {
          candidate: { type: "any" },
          from: { type: "number", integer: true, min: 1, optional: true, convert: true },
          to: { type: "number", integer: true, min: 1, optional: true, convert: true },
          by: { type: "string", min: 1 },
        },
        handler: (ctx: Context<BacktestCall>) => backtest(ctx.params),
      },
      /** One backtest with its result once done; 404 for an unknown id. */
      backtestResult: {
        params: { id: { type: "number", integer: true, min: 1, convert: true } },
        handler: async (ctx: Context<{ id: number }>) => {
          const found = await readBacktest(await rt.db(), ctx.params.id);
          if (!found) throw new Errors.MoleculerClientError(`no backtest ${ctx.params.id}`, 404, "NOT_FOUND");
          return found;
        },
      },
      /** The latest 100 backtests, newest first, without their results. */
      backtests: {
        handler: async () => listBacktests(await rt.db(), 100),
      },
    },
    created() {
      backtests = new BacktestRunner(() => rt.backtestSources(), this.logger);
    },
    async started() {
      const blacklist = rt.config.blacklist ? [...(await readBlacklist(rt.config.blacklist, rt.config.s3))].map(([id, reason]) => ({ id, reason })) : undefined;
      const recorded = await recordStartupVersion(await rt.db(), startupRecordedBy(this.broker.nodeID), (versions, lastStart) =>
        startupChange(rt.config.thresholds, blacklist, versions, lastStart),
      );
      const inForce = recorded.at(-1)!;
      this.logger.debug("configuration in force", { version: inForce.version, fromSeq: inForce.fromSeq });
    },
    async stopped() {
      await backtests.stop();
    },
  };
}
