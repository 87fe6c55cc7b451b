/**
 * Runs once before the whole test run. Emulator installs (moto venv, DynamoDB Local's Java) are
 * prepared here so parallel test files never race to install them.
 */
export default async function globalSetup(): Promise<void> {
  // Filled in by the emulator harnesses (test/support/moto.ts, test/support/dynamodb.ts).
}
