import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { StreamProfile } from "../../src/bench/stream-profile";

function busyHashing(ms: number): number {
  let h = 0;
  for (const until = Date.now() + ms; Date.now() < until;) for (let i = 0; i < 10_000; i++) h = Math.imul(h ^ i, 0x01000193);
  return h;
}

describe("the bench's CPU profile of the stream window", () => {
  it("writes a .cpuprofile of the work done between start and stop", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "tm-profile-")), "stream.cpuprofile");
    const profile = new StreamProfile(file);
    await profile.start();
    busyHashing(200);
    await profile.stop();
    busyHashing(50);
    const written = JSON.parse(readFileSync(file, "utf8")) as {
      nodes: Array<{ callFrame: { functionName: string } }>;
      samples: number[];
      startTime: number;
      endTime: number;
    };
    expect(written.samples.length).toBeGreaterThan(0);
    expect(written.nodes.map((n) => n.callFrame.functionName)).toContain("busyHashing");
    expect(written.endTime - written.startTime).toBeLessThan(2_000_000); // µs: the window, not the test run
  });
});
