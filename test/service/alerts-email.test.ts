import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../../src/config";
import { sleep } from "../../src/retry";
import { selectRows } from "../../src/storage/sql";
import { freePort } from "../support/pipeline";
import { commitDetections, eventually, startServices, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed | undefined;
let smtp: SMTPServer;
const mails: ParsedMail[] = [];

beforeAll(async () => {
  const port = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
  const alerts = loadConfig(
    { ALERT_SMTP_URL: `smtp://127.0.0.1:${port}`, ALERT_EMAIL_FROM: "alerts@example.com", ALERT_EMAIL_TO: "ops@example.com,risk@example.com" },
    [],
  ).alerts;
  bed = await startServices(["alerts"], { alerts });
});

afterAll(async () => {
  await bed?.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

async function pendingEmail(): Promise<number> {
  const rows = await selectRows<{ n: number }>(
    await bed!.rt.db(),
    `SELECT count(*)::int AS n FROM alert_deliveries WHERE status = 'pending' AND channel = 'email'`,
  );
  return rows[0].n;
}

describe("alerts by email", () => {
  it("sends a burst of 500 detections as one digest, then waits ALERT_EMAIL_MIN_INTERVAL_MS before the next mail", async () => {
    await commitDetections(bed!.rt, 500);
    void bed!.broker.emit("detections.committed", { seq: 1, count: 500 });
    await eventually(
      async () => mails.length,
      (n) => n >= 1,
    );
    await sleep(1500);
    expect(mails).toHaveLength(1);
    const [digest] = mails;
    expect(digest.subject).toBe("[transaction monitoring] 500 detections");
    expect(digest.from?.text).toBe("alerts@example.com");
    const lines = digest.text!.trim().split("\n");
    expect(lines).toHaveLength(101); // ALERT_EMAIL_DIGEST_MAX (100) listed, then the count of the rest
    expect(lines[0]).toMatch(/ PatId2 CHILD customer C\d+ at merchant M1 because n=\d+ avg=22\.500000 \[detection \d+\]$/);
    expect(lines[100]).toBe("… and 400 more (GET /api/detections lists them all)");

    // Within the interval (default 60 s), new detections wait for the next digest.
    await commitDetections(bed!.rt, 3, 500);
    void bed!.broker.emit("detections.committed", { seq: 2, count: 3 });
    await eventually(pendingEmail, (n) => n === 3);
    await sleep(1500);
    expect(mails).toHaveLength(1);
    expect(await pendingEmail()).toBe(3);
  });
});
