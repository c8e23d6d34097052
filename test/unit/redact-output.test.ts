import { PassThrough } from "node:stream";
import { redactOutput } from "../../src/app/console";
import { Redactor } from "../../src/redact";

describe("process output", () => {
  it("passes every write, string or buffer, through the redactor", () => {
    const out = new PassThrough();
    redactOutput(new Redactor(["hunter2-password"]), [out]);
    out.write("connecting with hunter2-password\n");
    out.write(Buffer.from("nats://tok@nats:4222 and hunter2-password\n"));
    expect(String(out.read())).toBe("connecting with ***\nnats://***@nats:4222 and ***\n");
  });
});
