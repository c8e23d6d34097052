import { PacketSeal, RejectedPacket } from "../../src/cluster/packet-seal";
import { RejectionTally } from "../../src/cluster/rejection-tally";

const SECRET = "a-cluster-secret-of-some-length";
const payload = Buffer.from(JSON.stringify({ merchant: "M1823072687", customer: "C1093826151" }));

describe("packet seal", () => {
  let clock = 1_000_000;
  const seal = (secrets: string[]) => new PacketSeal(secrets, { windowMs: 60_000, now: () => clock });

  it("opens what it sealed, and the wire shows nothing of the payload", () => {
    const sealed = seal([SECRET]).seal("REQ", payload);
    expect(sealed.includes(Buffer.from("M1823072687"))).toBe(false);
    expect(seal([SECRET]).open("REQ", sealed)).toEqual(payload);
  });

  it("uses a fresh nonce per packet", () => {
    const s = seal([SECRET]);
    expect(s.seal("REQ", payload).equals(s.seal("REQ", payload))).toBe(false);
  });

  it.each([
    ["another secret", () => seal(["another-secret-entirely-123"]).seal("REQ", payload), "REQ", "authentication failed"],
    ["a plaintext Moleculer packet", () => payload, "REQ", "not a sealed packet"],
    ["another packet type", () => seal([SECRET]).seal("REQ", payload), "EVENT", "authentication failed"],
    [
      "one flipped bit",
      () => {
        const b = seal([SECRET]).seal("REQ", payload);
        b[20] ^= 1;
        return b;
      },
      "REQ",
      "authentication failed",
    ],
  ])("rejects %s", (_what, make, type, reason) => {
    expect(() => seal([SECRET]).open(type, make())).toThrow(RejectedPacket);
    expect(() => seal([SECRET]).open(type, make())).toThrow(reason);
  });

  it("rejects a replay, and a packet sealed outside the window", () => {
    const receiver = seal([SECRET]);
    const sealed = seal([SECRET]).seal("EVENT", payload);
    receiver.open("EVENT", sealed);
    expect(() => receiver.open("EVENT", sealed)).toThrow("replayed");
    const old = seal([SECRET]).seal("EVENT", payload);
    clock += 61_000;
    expect(() => seal([SECRET]).open("EVENT", old)).toThrow("outside the replay window");
  });

  it("rotates: `new,old` seals with new and opens both, so old-only and new-only nodes both talk to it", () => {
    const rotating = seal(["the-new-secret-0123456789", "the-old-secret-0123456789"]);
    expect(seal(["the-new-secret-0123456789"]).open("INFO", rotating.seal("INFO", payload))).toEqual(payload);
    expect(rotating.open("INFO", seal(["the-old-secret-0123456789"]).seal("INFO", payload))).toEqual(payload);
    expect(() => seal(["the-old-secret-0123456789"]).open("INFO", rotating.seal("INFO", payload))).toThrow(RejectedPacket);
  });
  it("rejects a packet addressed to another node (a replay elsewhere), and opens broadcasts and its own", () => {
    const sender = seal([SECRET]);
    expect(seal([SECRET]).open("REQ", sender.seal("REQ", payload, "ms-1"), "ms-1")).toEqual(payload);
    expect(seal([SECRET]).open("EVENT", sender.seal("EVENT", payload), "ms-2")).toEqual(payload);
    expect(() => seal([SECRET]).open("REQ", sender.seal("REQ", payload, "ms-1"), "ms-2")).toThrow("addressed to another node");
  });
});

describe("rejection tally", () => {
  it("logs at most one line per 10 s with the count since the last, and persists every rejection once", async () => {
    let now = 0;
    const lines: unknown[][] = [];
    const persisted: number[] = [];
    const tally = new RejectionTally({
      log: { warn: (...a: unknown[]) => lines.push(a), info: () => undefined, error: () => undefined, debug: () => undefined },
      persist: async (n) => void persisted.push(n),
      now: () => now,
    });
    for (let i = 0; i < 500; i++, now += 10) tally.record("REQ", "authentication failed");
    await tally.flush();
    expect(lines).toHaveLength(1);
    now = 10_001;
    tally.record("EVENT", "not a sealed packet");
    expect(lines).toHaveLength(2);
    expect(lines[1][1]).toMatchObject({ dropped: 500, lastType: "EVENT" });
    await tally.flush();
    expect(persisted).toEqual([500, 1]);
  });

  it("keeps the count when saving it fails", async () => {
    let fail = true;
    const persisted: number[] = [];
    const tally = new RejectionTally({
      log: { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined },
      persist: async (n) => {
        if (fail) throw new Error("database down");
        persisted.push(n);
      },
    });
    tally.record("REQ", "x");
    tally.record("REQ", "x");
    await tally.flush();
    fail = false;
    await tally.flush();
    expect(persisted).toEqual([2]);
  });
});
