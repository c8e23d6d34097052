import type { ConfigVersionRow } from "../../src/storage/config-versions";
import { SPEC_DEFAULTS } from "../support/reference";
import { restartDetector, startServices, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed;

beforeAll(async () => {
  bed = await startServices(["detector"]);
});

afterAll(async () => {
  await bed?.stop();
});

describe("detector service", () => {
  it("lists the pattern catalogue", async () => {
    expect(await bed.broker.call("detector.rules")).toEqual([
      { patternId: "PatId1", actionType: "UPGRADE" },
      { patternId: "PatId2", actionType: "CHILD" },
      { patternId: "PatId3", actionType: "DEI-NEEDED" },
      { patternId: "PatId4", actionType: "HIGH-VALUE" },
      { patternId: "PatId5", actionType: "BLACKLISTED" },
      { patternId: "PatId6", actionType: "ANOMALY" },
    ]);
  });

  it("serves the thresholds in force", async () => {
    expect(await bed.broker.call("detector.thresholds")).toEqual(bed.rt.config.thresholds);
    expect(await bed.broker.call("detector.thresholds")).toMatchObject({ childMinTxns: 80, childMaxAvgAmount: "23" });
  });

  it("records its settings as configuration version 1, applying from the first chunk, and serves it with the history", async () => {
    const version = await bed.broker.call<ConfigVersionRow>("detector.version");
    expect(version).toMatchObject({ version: 1, fromSeq: 1, recordedBy: `startup on ${bed.broker.nodeID}` });
    expect(version.thresholds).toEqual({ ...SPEC_DEFAULTS, blacklist: [], disabledPatterns: [] }); // quantiles and amounts as their exact text
    expect(await bed.broker.call("detector.history")).toEqual([version]);
  });

  it("on a restart records a new version only when its settings differ, applying from the chunk after the last one committed", async () => {
    const ds = await bed.rt.db();
    await ds.query(`UPDATE partition_state SET applied_seq = 7`); // as if 7 chunks had been applied
    await restartDetector({ ...bed.rt.config, thresholds: { ...bed.rt.config.thresholds, childMaxAvgAmount: "23.00" } }); // the same amount
    expect(await bed.broker.call("detector.history")).toHaveLength(1);
    await restartDetector({ ...bed.rt.config, thresholds: { ...bed.rt.config.thresholds, childMinTxns: 60 } });
    expect(await bed.broker.call("detector.version")).toMatchObject({
      version: 2,
      fromSeq: 8,
      recordedBy: "startup on detector-2",
      thresholds: { childMinTxns: 60 },
    });
    expect(await bed.broker.call("detector.thresholds")).toMatchObject({ childMinTxns: 60 });
    expect((await bed.broker.call<ConfigVersionRow[]>("detector.history")).map((v) => v.version)).toEqual([1, 2]);
  });
});
