import { createServer, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DetectionStreams } from "../../src/api/detection-stream";
import { sleep } from "../../src/retry";

describe("a detection stream", () => {
  it("ends at once, reading nothing, when its client left while the stream was being set up", async () => {
    const streams = new DetectionStreams();
    let reads = 0;
    let served: Promise<void> | undefined;
    const arrived = new Promise<ServerResponse>((resolve) => {
      const server = createServer((_req, res) => resolve(res));
      server.listen(0, "127.0.0.1", () => {
        const client = request({ port: (server.address() as AddressInfo).port, path: "/" });
        client.on("error", () => undefined);
        client.end();
        // The client goes away before the stream starts (as while the api looks up where to start).
        void arrived.then(async (res) => {
          client.destroy();
          await sleep(100);
          served = streams.serve(res, 0, async () => {
            reads += 1;
            return [];
          });
          await served;
          server.close();
        });
      });
    });
    await arrived;
    while (!served) await sleep(10);
    const outcome = await Promise.race([served.then(() => "ended"), sleep(1000).then(() => "still open")]);
    await streams.closeAll();
    expect(outcome).toBe("ended");
    expect(reads).toBe(0);
  });
});
