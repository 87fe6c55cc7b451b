/**
 * The emulators the tests start are what the suite says they are: DynamoDB Local reachable on
 * loopback only (as moto is), and moto exactly the version and files test/support/moto-requirements.txt pins.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDynamoDbLocal, type DynamoDbLocal } from "../support/dynamodb.ts";
import { MOTO_REQUIREMENTS, VENV } from "../support/moto-install.ts";

/** "connected" or the error code a TCP connect ends with. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once("connect", () => (socket.destroy(), resolve("connected")));
    socket.once("timeout", () => (socket.destroy(), resolve("timeout")));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("DynamoDB Local for tests", () => {
  let dynamo: DynamoDbLocal;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it("answers on 127.0.0.1 and refuses connections on this machine's other addresses", async () => {
    const port = Number(new URL(dynamo.endpoint).port);
    expect(new URL(dynamo.endpoint).hostname).toBe("127.0.0.1");
    expect(await tryConnect("127.0.0.1", port)).toBe("connected");
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === "IPv4").map((a) => a!.address);
    expect(others.length, "this check needs a non-loopback IPv4 address on the machine").toBeGreaterThan(0);
    for (const address of others) expect(await tryConnect(address, port), address).toBe("ECONNREFUSED");
  });
});

describe("moto for tests", () => {
  const requirements = readFileSync(MOTO_REQUIREMENTS, "utf8").replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() && !l.startsWith("#"));

  it("pins every package to one version and a sha256 of its file", () => {
    expect(requirements.length).toBeGreaterThan(10);
    for (const line of requirements) expect(line, line).toMatch(/^[a-z0-9.\-[\]]+==[^\s]+\s+--hash=sha256:[0-9a-f]{64}\s*$/);
    expect(requirements.filter((l) => l.startsWith("moto[server]=="))).toHaveLength(1);
  });

  it("is installed at exactly the pinned version", () => {
    const pinned = /^moto\[server\]==(\S+)/.exec(requirements.find((l) => l.startsWith("moto[server]=="))!)![1];
    const out = spawnSync(join(VENV, "bin", "python"), ["-c", "import importlib.metadata as m; print(m.version('moto'))"], { encoding: "utf8" });
    expect(out.stdout.trim()).toBe(pinned);
  });
});
