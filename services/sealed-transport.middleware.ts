import type { Middleware, ServiceBroker } from "moleculer";
import type { DataSource } from "typeorm";
import { PacketSeal, RejectedPacket } from "../src/cluster/packet-seal";
import { RejectionTally } from "../src/cluster/rejection-tally";
import { describeError } from "../src/retry";
import { addRejectedPackets } from "../src/storage/rejected-packets";

/** Sealing time accepted either way: covers clock skew between nodes; an older packet counts as a replay. */
const REPLAY_WINDOW_MS = 60_000;
const PERSIST_EVERY_MS = 1000;

type Send = (topic: string, data: Buffer, meta: { packet: { type: string; target?: string | null } }) => Promise<void>;
type Receive = (type: string, data: Buffer, ...rest: unknown[]) => Promise<void> | void;

/**
 * Every packet this node sends is sealed (src/cluster/packet-seal.ts), every
 * packet it receives must open, or it is dropped before Moleculer parses it:
 * a process without the cluster secret can neither join, call, emit, nor read.
 */
export function sealedTransport(secrets: readonly string[], database?: () => Promise<DataSource>): Middleware {
  const seal = new PacketSeal(secrets, { windowMs: REPLAY_WINDOW_MS });
  let tally: RejectionTally | undefined;
  let timer: NodeJS.Timeout | undefined;
  let self = "";

  return {
    name: "SealedTransport",
    created(broker: ServiceBroker) {
      self = broker.nodeID;
      tally = new RejectionTally({
        log: broker.getLogger("sealed-transport"),
        persist: async (added) => {
          if (database) await addRejectedPackets(await database(), broker.nodeID, added);
        },
      });
    },
    async started() {
      timer = setInterval(() => void tally!.flush(), PERSIST_EVERY_MS);
      timer.unref();
    },
    async stopped() {
      clearInterval(timer);
      await tally!.flush();
    },
    transporterSend(next: Send): Send {
      return (topic, data, meta) => next(topic, seal.seal(meta.packet.type, data, meta.packet.target ?? ""), meta);
    },
    transporterReceive(next: Receive): Receive {
      return (type, data, ...rest) => {
        let opened: Buffer;
        try {
          opened = seal.open(type, data, self);
        } catch (err) {
          // Thrown from here it would reach the NATS client's subscription callback: drop it here, whatever it was.
          tally!.record(type, err instanceof RejectedPacket ? err.message : `unreadable (${describeError(err)})`);
          return;
        }
        return next(type, opened, ...rest);
      };
    },
  } satisfies TransportHooks as unknown as Middleware;
}

/** The hooks as Moleculer calls them (its typings declare transporterSend/Receive as returning a promise, not a function). */
interface TransportHooks {
  name: string;
  created(broker: ServiceBroker): void;
  started(): Promise<void>;
  stopped(): Promise<void>;
  transporterSend(next: Send): Send;
  transporterReceive(next: Receive): Receive;
}
