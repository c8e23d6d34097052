import { inspect } from "node:util";
import { natsConnection } from "../../moleculer.config";
import { ConfigError, loadConfig } from "../../src/config";
import { redactUrl } from "../../src/redact";

describe("cluster configuration", () => {
  it("requires CLUSTER_SECRET with TRANSPORTER, in one line", () => {
    expect(() => loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222" }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222" }, [])).toThrow(/^CLUSTER_SECRET is required with TRANSPORTER[^\n]*$/);
    expect(() => loadConfig({ TRANSPORTER: "nats://h:4222", CLUSTER_SECRET: "short" }, [])).toThrow("at least 16 characters");
  });

  it("takes `new,old` for a rotation", () => {
    const c = loadConfig({ TRANSPORTER: "nats://h:4222", CLUSTER_SECRET: "new-secret-0123456789, old-secret-0123456789" }, []);
    expect(c.clusterSecrets).toEqual(["new-secret-0123456789", "old-secret-0123456789"]);
  });

  it("has no control port any more", () => {
    expect(() => loadConfig({}, ["--control-port", "6001"])).toThrow("unknown flag");
    expect(loadConfig({ CONTROL_PORT: "6001" }, [])).not.toHaveProperty("controlPort");
  });

  it("passes NATS user/password and token from the URL to nats.js, inside an authenticator that prints as nothing", () => {
    const withPassword = natsConnection("nats://monitor:p%40ss@nats:4222");
    expect(withPassword.servers).toEqual(["nats:4222"]);
    expect(withPassword.authenticator!()).toEqual({ user: "monitor", pass: "p@ss" });
    const withToken = natsConnection("nats://s3cr3t-token@a:4222,nats://b:4222");
    expect(withToken.servers).toEqual(["a:4222", "b:4222"]);
    expect(withToken.authenticator!()).toEqual({ auth_token: "s3cr3t-token" });
    expect(JSON.stringify(withToken) + JSON.stringify(withPassword) + inspect(withToken, { depth: 5 }) + inspect(withPassword, { depth: 5 })).not.toMatch(
      /s3cr3t|p@ss/,
    );
    expect(natsConnection("nats://127.0.0.1:4222")).toEqual({ servers: ["127.0.0.1:4222"] });
  });

  it("never shows the NATS password or token", () => {
    expect(redactUrl("nats://monitor:hunter2@nats:4222")).toBe("nats://monitor:***@nats:4222");
    expect(redactUrl("nats://s3cr3t-token@nats:4222")).toBe("nats://***@nats:4222");
    expect(redactUrl("nats://nats:4222")).toBe("nats://nats:4222");
    expect(() => loadConfig({ TRANSPORTER: "nats://u:hunter2@bad host" }, [])).toThrow(/^(?!.*hunter2)/);
    expect(() => loadConfig({ TRANSPORTER: "nats://u:hunter2@[x", CLUSTER_SECRET: "x".repeat(16) }, [])).toThrow('got "nats://***@[x"');
  });
});
