import type { LoopPolicy } from "../work-loop";
import { moveToPatternDetections } from "../storage/outbox";
import type { DataSource } from "typeorm";

const BATCH = 1000;
const IDLE_MS = 500;

/** Moves every committed detection from the outbox into pattern_detections; returns how many. */
export async function drainOutbox(db: DataSource): Promise<number> {
  let total = 0;
  for (let moved = BATCH; moved === BATCH; total += moved) moved = await moveToPatternDetections(db, BATCH);
  return total;
}

/** The db sink's loop: drain, then look again at once if there was work, else after IDLE_MS. */
export class DbSinkLoop implements LoopPolicy {
  constructor(private readonly drain: () => Promise<number>) {}

  async step(): Promise<number> {
    return (await this.drain()) > 0 ? 0 : IDLE_MS;
  }
}
