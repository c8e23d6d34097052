import { startServices, type ServiceTestBed } from "../support/service-broker";

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
    ]);
  });

  it("serves the thresholds in force", async () => {
    expect(await bed.broker.call("detector.thresholds")).toEqual(bed.rt.config.thresholds);
    expect(await bed.broker.call("detector.thresholds")).toMatchObject({ childMinTxns: 80, childMaxAvgAmount: "23" });
  });
});
