import { commitDetections, eventually, startServices, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed;

beforeAll(async () => {
  bed = await startServices(["db-sink"]);
});

afterAll(async () => {
  await bed?.stop();
});

async function stored(): Promise<Array<{ customer: string; explanation: object }>> {
  return (await bed.rt.db()).query(`SELECT customer, explanation FROM pattern_detections ORDER BY customer`);
}

describe("db-sink service", () => {
  it("copies committed detections into pattern_detections once, when told they were committed", async () => {
    await commitDetections(bed.rt, 3);
    void bed.broker.emit("detections.committed", { seq: 1, count: 3 });
    expect(await eventually(stored, (rows) => rows.length === 3)).toEqual([
      { customer: "C0", explanation: { n: 80, avg: "22.500000" } },
      { customer: "C1", explanation: { n: 81, avg: "22.500000" } },
      { customer: "C2", explanation: { n: 82, avg: "22.500000" } },
    ]);
    expect(await bed.broker.call("db-sink.sync")).toBe(0);
    expect(await stored()).toHaveLength(3);
  });

  it("drains a backlog larger than one batch, without being told", async () => {
    await (await bed.rt.db()).query(`TRUNCATE detection_outbox, pattern_detections, detection_reviews, detection_review_changes, detection_counts`);
    await commitDetections(bed.rt, 1500);
    await eventually(stored, (rows) => rows.length === 1500);
    expect(await bed.broker.call("db-sink.sync")).toBe(0);
  });
});
