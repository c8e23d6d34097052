/**
 * Every PostgreSQL advisory-lock key the application takes, in one place so
 * that no two uses collide. All but the last are single (bigint) keys.
 */

/** Serialises schema migrations across processes starting at once. */
export const MIGRATION_LOCK = 7_700_001;
/** Serialises loads of importance data, so a source loads once. */
export const IMPORTANCE_LOCK = 7_700_002;
/** Serialises sequence assignment in the chunk ledger. */
export const LEDGER_LOCK = 7_700_003;
/** Serialises reservations of outbox rows for the S3 sink. */
export const S3_RESERVE_LOCK = 7_700_004;
/** Serialises moves into pattern_detections, so that their ids become visible in increasing order. */
export const DB_SINK_MOVE_LOCK = 7_700_006;
/**
 * Orders configuration versions against chunk commits: a commit holds it
 * shared, recording a version holds it exclusively, so a version's first
 * chunk is one no partition has committed yet.
 */
export const CONFIG_LOCK = 7_700_005;
/** Held by the one active ingest copy. */
export const INGEST_LEADER_LOCK = 7_700_010;
/** Held by the one active chunker copy. */
export const CHUNKER_LEADER_LOCK = 7_700_011;
/** Held by the one active alerts copy. */
export const ALERTS_LEADER_LOCK = 7_700_012;
/** First key of the two-key locks that say "this node is alive"; the second is the node's liveness key. */
export const LIVENESS_LOCK_CLASS = 7_700_100;
