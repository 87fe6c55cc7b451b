/**
 * DynamoDB Local for tests: one server per test file on a free port of 127.0.0.1 only (it binds
 * every interface by itself; DynamoDbLocalLoopback.java holds it to loopback, as moto is), about
 * 3 s to start, and a fresh table per test. Start it in `beforeAll`, stop it in `afterAll`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { createTable } from "../../lib/store/dynamodb/table.ts";
import { dynamoDbLocalJarDir } from "./dynamodb-install.ts";
import { freePort } from "./free-port.ts";

const LOOPBACK_LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), "DynamoDbLocalLoopback.java");

/** DynamoDB Local on 127.0.0.1:`port`, in memory, sending no telemetry. */
function spawnOnLoopback(port: number): ChildProcess {
  const dir = dynamoDbLocalJarDir();
  return spawn("java", [
    `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
    "-cp", `${join(dir, "DynamoDBLocal.jar")}:${join(dir, "DynamoDBLocal_lib", "*")}`,
    LOOPBACK_LAUNCHER, "-inMemory", "-port", String(port), "-disableTelemetry",
  ], { stdio: ["ignore", "pipe", "pipe"] });
}

export interface DynamoDbLocal {
  endpoint: string;
  client: DynamoDBClient;
  /** Creates a table with the state table's definition under a unique name and returns the name. */
  createTable(): Promise<string>;
  stop(): Promise<void>;
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    // DynamoDB Local accepts any credentials; the key id may hold letters and digits only.
    credentials: { accessKeyId: "tenonlocal", secretAccessKey: "local" },
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function startOnce(port: number): Promise<{ child: ChildProcess; client: DynamoDBClient; endpoint: string }> {
  const child = spawnOnLoopback(port);
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      client.destroy();
      throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`);
    }
    try {
      await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(2000) });
      return { child, client, endpoint };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  client.destroy();
  await stopProcess(child);
  throw new Error(`DynamoDB Local did not answer ListTables on ${endpoint} within 120 s:\n${output}`);
}

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  let lastError: unknown;
  // The free port can be taken between probing and Java binding it; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const { child, client, endpoint } = await startOnce(await freePort());
      return {
        endpoint,
        client,
        async createTable() {
          const name = `tenon-test-${randomUUID().slice(0, 8)}`;
          await createTable(client, name, 20);
          return name;
        },
        async stop() {
          client.destroy();
          await stopProcess(child);
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
