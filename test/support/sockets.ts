import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
}

/** TCP sockets in LISTEN state, by socket inode, from /proc/net/tcp and tcp6. */
function listening(): Map<string, ListeningSocket> {
  const sockets = new Map<string, ListeningSocket>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").trim().split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== "0A") continue;
      const [hexAddress, hexPort] = cols[1].split(":");
      sockets.set(cols[9], { address: decodeAddress(hexAddress), port: parseInt(hexPort, 16) });
    }
  }
  return sockets;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8)
    return (hex.match(/../g) ?? [])
      .reverse()
      .map((b) => parseInt(b, 16))
      .join(".");
  if (/^0{32}$/.test(hex)) return "::";
  if (hex === "00000000000000000000000001000000") return "::1";
  if (hex.startsWith("0000000000000000FFFF0000")) return decodeAddress(hex.slice(24));
  return hex;
}

/** The listening TCP sockets a process holds open. */
export function listeningSocketsOf(pid: number): ListeningSocket[] {
  const all = listening();
  const inodes = readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m ? [m[1]] : [];
    } catch {
      return [];
    }
  });
  return inodes.flatMap((inode) => all.get(inode) ?? []);
}

/** Every listening socket on the machine bound to this port. */
export function listeningOnPort(port: number): ListeningSocket[] {
  return [...listening().values()].filter((s) => s.port === port);
}
