import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const FORMAT = 2;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const TIME_BYTES = 8;
const HEADER_BYTES = 1 + NONCE_BYTES;
const HKDF_SALT = "transaction-monitoring/cluster";
const HKDF_INFO = "packet-seal/aes-256-gcm/v1";

/** Why a packet was not accepted; the packet itself is never echoed. */
export class RejectedPacket extends Error {
  override name = "RejectedPacket";
}

export interface PacketSealOptions {
  /** How far a packet's sealing time may be from ours, either way, before it counts as a replay. */
  readonly windowMs: number;
  readonly now?: () => number;
}

/**
 * Authenticated encryption of cluster packets: AES-256-GCM under a key derived
 * (HKDF-SHA256) from the cluster secret, a random nonce per packet, the packet
 * type bound as associated data so a sealed REQ cannot pass as an EVENT, and
 * the sealing time and the addressee (a node id, or none for a broadcast)
 * inside the ciphertext. Opening rejects a packet sealed under another
 * secret, altered, relabelled, outside the time window, seen before (a replay
 * within the window), or addressed to another node (a replay elsewhere).
 *
 * Seals with the first secret, opens with any: rotation deploys `new,old`
 * everywhere, then `new`.
 */
export class PacketSeal {
  private readonly keys: Buffer[];
  private readonly now: () => number;
  private readonly seen = new RecentNonces();

  constructor(
    secrets: readonly string[],
    private readonly opts: PacketSealOptions,
  ) {
    if (secrets.length === 0) throw new Error("PacketSeal needs at least one secret");
    this.keys = secrets.map((s) => Buffer.from(hkdfSync("sha256", s, HKDF_SALT, HKDF_INFO, 32)));
    this.now = opts.now ?? Date.now;
  }

  /** `target`: the node the packet is for; empty for a broadcast. */
  seal(type: string, payload: Buffer, target = ""): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = FORMAT;
    randomBytes(NONCE_BYTES).copy(header, 1);
    const addressee = Buffer.from(target, "utf8");
    if (addressee.length > 255) throw new Error(`node id longer than 255 bytes: ${target.slice(0, 40)}…`);
    const prefix = Buffer.alloc(TIME_BYTES + 1);
    prefix.writeBigInt64BE(BigInt(this.now()));
    prefix[TIME_BYTES] = addressee.length;
    const cipher = createCipheriv("aes-256-gcm", this.keys[0], header.subarray(1), { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, type));
    const body = Buffer.concat([cipher.update(prefix), cipher.update(addressee), cipher.update(payload), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  /** The payload sealed by `seal(type, payload, target)` with one of our secrets, for a broadcast or for `self`; throws RejectedPacket otherwise. */
  open(type: string, sealed: Buffer, self?: string): Buffer {
    if (sealed.length < HEADER_BYTES + TIME_BYTES + 1 + TAG_BYTES || sealed[0] !== FORMAT) throw new RejectedPacket("not a sealed packet");
    const header = sealed.subarray(0, HEADER_BYTES);
    const body = sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const plain = this.decrypt(type, header, body, tag);
    const sealedAt = Number(plain.readBigInt64BE(0));
    const now = this.now();
    if (Math.abs(now - sealedAt) > this.opts.windowMs)
      throw new RejectedPacket(`sealed ${Math.round((now - sealedAt) / 1000)} s from now, outside the replay window`);
    const addresseeEnd = TIME_BYTES + 1 + plain[TIME_BYTES];
    const addressee = plain.toString("utf8", TIME_BYTES + 1, addresseeEnd);
    if (addressee !== "" && self !== undefined && addressee !== self) throw new RejectedPacket("addressed to another node (replayed)");
    if (!this.seen.add(header.toString("base64"), sealedAt + this.opts.windowMs, now)) throw new RejectedPacket("replayed (nonce seen before)");
    return plain.subarray(addresseeEnd);
  }

  private decrypt(type: string, header: Buffer, body: Buffer, tag: Buffer): Buffer {
    for (const key of this.keys) {
      const decipher = createDecipheriv("aes-256-gcm", key, header.subarray(1), { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(header, type));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        // not sealed with this key; try the next
      }
    }
    throw new RejectedPacket("authentication failed (another secret, or altered)");
  }
}

function associatedData(header: Buffer, type: string): Buffer {
  return Buffer.concat([header.subarray(0, 1), Buffer.from(type, "utf8")]);
}

/** Nonces accepted within the replay window; each is forgotten once the time check alone would reject its packet. */
class RecentNonces {
  private readonly expiries = new Map<string, number>();

  /** False when the nonce is already known. */
  add(nonce: string, expiresAt: number, now: number): boolean {
    this.forgetExpired(now);
    if (this.expiries.has(nonce)) return false;
    this.expiries.set(nonce, expiresAt);
    return true;
  }

  /** Insertion order is roughly expiry order (senders' clocks differ a little): stop at the first one still live. */
  private forgetExpired(now: number): void {
    for (const [nonce, expiresAt] of this.expiries) {
      if (expiresAt >= now) return;
      this.expiries.delete(nonce);
    }
  }
}
