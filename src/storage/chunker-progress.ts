import type { DataSource } from "typeorm";
import { selectFirst } from "./sql";

/** How far the chunker has cut a source: durable, so a restart seeks instead of re-reading. */
export interface ChunkerProgress {
  readonly header: string;
  readonly byteOffset: number;
  readonly rowOffset: number;
  readonly chunksWritten: number;
  readonly finished: boolean;
}

export async function readProgress(ds: DataSource, source: string): Promise<ChunkerProgress | null> {
  const row = await selectFirst<ChunkerProgress>(
    ds,
    `SELECT header, byte_offset AS "byteOffset", row_offset AS "rowOffset", chunks_written AS "chunksWritten", finished
     FROM chunker_progress WHERE source = $1`,
    [source],
  );
  return row ?? null;
}

export async function saveProgress(ds: DataSource, source: string, p: ChunkerProgress): Promise<void> {
  await ds.query(
    `INSERT INTO chunker_progress (source, header, byte_offset, row_offset, chunks_written, finished, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (source) DO UPDATE SET header = EXCLUDED.header, byte_offset = EXCLUDED.byte_offset,
       row_offset = EXCLUDED.row_offset, chunks_written = EXCLUDED.chunks_written, finished = EXCLUDED.finished, updated_at = now()`,
    [source, p.header, p.byteOffset, p.rowOffset, p.chunksWritten, p.finished],
  );
}
