import { getBorderCharacters, table } from "table";
import { replCommands } from "../../services/repl-commands";
import { moveToPatternDetections } from "../../src/storage/outbox";
import { commitDetections, startServices, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed;

beforeAll(async () => {
  bed = await startServices(["api"]);
  await commitDetections(bed.rt, 2); // CHILD for C0, C1 at M1
  await moveToPatternDetections(await bed.rt.db(), 1000);
});

afterAll(async () => {
  await bed?.stop();
});

/** What a REPL command prints, with the table helpers moleculer-repl passes. */
async function printed(command: string, args: Record<string, unknown>): Promise<string> {
  const lines: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  try {
    await replCommands.find((c) => c.command === command)!.action(bed.broker, args, { table, getBorderCharacters });
  } finally {
    log.mockRestore();
  }
  return lines.join("\n");
}

describe("the REPL's detections command", () => {
  it("shows why each detection fired", async () => {
    const out = await printed("detections", { options: { pattern: "CHILD" } });
    expect(out).toContain("why");
    expect(out).toMatch(/C1 .*n=81 avg=22\.500000/);
    expect(out).toMatch(/C0 .*n=80 avg=22\.500000/);
  });
});
