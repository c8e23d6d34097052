import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import type { ServiceName } from "../src/config";
import { alertsService } from "./alerts.service";
import { apiService } from "./api.service";
import { chunkerService } from "./chunker.service";
import { dbSinkService } from "./db-sink.service";
import { detectorService } from "./detector.service";
import { ingestService } from "./ingest.service";
import { customerStateService } from "./customer-state.service";
import { merchantStateService } from "./merchant-state.service";
import { s3SinkService } from "./s3-sink.service";

export const SERVICE_FACTORIES: Record<ServiceName, (rt: Runtime) => ServiceSchema> = {
  chunker: chunkerService,
  ingest: ingestService,
  "merchant-state": merchantStateService,
  "customer-state": customerStateService,
  detector: detectorService,
  "db-sink": dbSinkService,
  "s3-sink": s3SinkService,
  alerts: alertsService,
  api: apiService as (rt: Runtime) => ServiceSchema,
};
