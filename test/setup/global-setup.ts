/**
 * Runs once before the whole test run. Emulator installs (moto venv, DynamoDB Local's Java) are
 * prepared here so parallel test files never race to install them.
 */
import { ensureMotoInstalled } from "../support/moto-install.ts";
import { ensureDynamoDbLocalRunnable } from "../support/dynamodb-install.ts";

export default async function globalSetup(): Promise<void> {
  await ensureMotoInstalled();
  await ensureDynamoDbLocalRunnable();
}
