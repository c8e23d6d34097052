import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { waitFor } from "./pipeline";

export const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"].find((p) => existsSync(p));

export type NatsAuth = { readonly user: string; readonly pass: string } | { readonly token: string };

/** A nats-server owned by one test, with a user and password or a token; it can be killed and started again on its port. */
export class TestNatsServer {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly auth: NatsAuth,
  ) {}

  /** The URL nodes use, credentials included. */
  get url(): string {
    const credentials = "token" in this.auth ? this.auth.token : `${this.auth.user}:${this.auth.pass}`;
    return `nats://${credentials}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const auth = "token" in this.auth ? ["--auth", this.auth.token] : ["--user", this.auth.user, "--pass", this.auth.pass];
    this.child = spawn(NATS_SERVER!, ["-a", "127.0.0.1", "-p", String(this.port), ...auth], { stdio: "ignore" });
    await waitFor("nats-server to listen", () => canConnect(this.port), 10_000, 50);
  }

  /** kill -9: the connections drop at once, whatever was in flight is lost. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
