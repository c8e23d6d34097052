import type { DataSource, EntityManager } from "typeorm";
import { CONFIG_LOCK } from "./lock-keys";
import { selectOne, selectRows, type SqlRunner } from "./sql";

/** Thresholds as recorded (jsonb): counts as numbers, quantiles and amounts as exact decimal text. */
export interface RecordedThresholds {
  readonly upgradeMinMerchantTxns: number;
  readonly upgradeCountQuantile: string;
  readonly upgradeWeightQuantile: string;
  readonly childMinTxns: number;
  readonly childMaxAvgAmount: string;
  readonly deiMinFemaleCustomers: number;
  /** The transaction rules' settings; absent from versions recorded before those rules existed. */
  readonly highValueMinAmount?: string;
  readonly anomalyMinHistory?: number;
  readonly anomalyZ?: string;
  readonly blacklist?: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
  readonly disabledPatterns?: readonly string[];
}

/** One version of the configuration in force: from chunk `fromSeq` on, until a later version's `fromSeq`. */
export interface ConfigVersionRow {
  readonly version: number;
  readonly fromSeq: number;
  readonly thresholds: RecordedThresholds;
  /** Who or what recorded it, e.g. `startup on <node>`. */
  readonly recordedBy: string;
  readonly recordedAt: Date;
}

const COLUMNS = `version, from_seq AS "fromSeq", thresholds, recorded_by AS "recordedBy", recorded_at AS "recordedAt"`;

/** Every version, oldest first. */
export function readConfigVersions(db: SqlRunner): Promise<ConfigVersionRow[]> {
  return selectRows<ConfigVersionRow>(db, `SELECT ${COLUMNS} FROM config_versions ORDER BY version`);
}

/**
 * Records the version `next` makes of the versions so far, oldest first;
 * `next` returns undefined when nothing would change. Returns every version.
 * The first version applies from the first chunk; a later one from the chunk
 * after the last chunk any partition has committed. The exclusive
 * CONFIG_LOCK waits for commits in progress and holds back new ones, and
 * every commit checks that it computed with the version in force for its
 * chunk (`configVersionAt`), so no chunk is ever committed under two
 * versions; concurrent changes take turns, each building on the one before.
 */
export async function recordNextVersion(
  ds: DataSource,
  recordedBy: string,
  next: (versions: readonly ConfigVersionRow[]) => RecordedThresholds | undefined,
): Promise<ConfigVersionRow[]> {
  return ds.transaction(async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock($1)`, [CONFIG_LOCK]);
    const versions = await readConfigVersions(em);
    return appendVersion(em, versions, next(versions), recordedBy);
  });
}

/**
 * What a detector records when it starts: `decide` gets every version and
 * the settings the last start was given (stored apart from the versions,
 * which merge them with changes made since), and says what to record, if
 * anything, and what this start was given. Under CONFIG_LOCK like every change.
 */
export async function recordStartupVersion(
  ds: DataSource,
  recordedBy: string,
  decide: (
    versions: readonly ConfigVersionRow[],
    lastStart: RecordedThresholds | undefined,
  ) => { readonly next: RecordedThresholds | undefined; readonly given: RecordedThresholds },
): Promise<ConfigVersionRow[]> {
  return ds.transaction(async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock($1)`, [CONFIG_LOCK]);
    const versions = await readConfigVersions(em);
    const stored = await selectRows<{ value: string }>(em, `SELECT value FROM deployment_meta WHERE key = 'started_with'`);
    const { next, given } = decide(versions, stored[0] && (JSON.parse(stored[0].value) as RecordedThresholds));
    await em.query(`INSERT INTO deployment_meta (key, value) VALUES ('started_with', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [
      JSON.stringify(given),
    ]);
    return appendVersion(em, versions, next, recordedBy);
  });
}

/** Records `thresholds` (if any) as the version after `versions`: the first applies from chunk 1, a later one from the chunk after the last committed. */
async function appendVersion(
  em: EntityManager,
  versions: ConfigVersionRow[],
  thresholds: RecordedThresholds | undefined,
  recordedBy: string,
): Promise<ConfigVersionRow[]> {
  if (!thresholds) return versions;
  const latest = versions.at(-1);
  const fromSeq = latest ? (await selectOne<{ next: number }>(em, `SELECT coalesce(max(applied_seq), 0) + 1 AS next FROM partition_state`)).next : 1;
  const recorded = await selectOne<ConfigVersionRow>(
    em,
    `INSERT INTO config_versions (version, from_seq, thresholds, recorded_by) VALUES ($1, $2, $3::jsonb, $4) RETURNING ${COLUMNS}`,
    [(latest?.version ?? 0) + 1, fromSeq, JSON.stringify(thresholds), recordedBy],
  );
  return [...versions, recorded];
}

/**
 * Inside a chunk commit, before anything else: holds CONFIG_LOCK shared until
 * the commit ends, so no version is recorded between this commit's check and
 * its end.
 */
export async function holdConfigShared(db: SqlRunner): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock_shared($1)`, [CONFIG_LOCK]);
}

/** The version in force for chunk `seq`; 0 when none is recorded. */
export async function configVersionAt(db: SqlRunner, seq: number): Promise<number> {
  const row = await selectOne<{ version: number }>(db, `SELECT coalesce(max(version), 0) AS version FROM config_versions WHERE from_seq <= $1`, [seq]);
  return row.version;
}
