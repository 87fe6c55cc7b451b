import { defineConfig } from "vitest/config";

/**
 * Tests that start an emulator (moto, DynamoDB Local): the "integration" project, which installs
 * them first, and those that start a real kube-apiserver. Everything else is "unit"
 * (`npm run test:unit`): no Python, no Java, no Go. `npm test` runs both.
 */
const INTEGRATION = [
  "test/e2e/**/*.test.ts",
  "test/functions/**/*.test.ts",
  "test/**/*-moto.test.ts",
  "test/store/dynamodb-store.test.ts",
  "test/blob/s3-blob-store.test.ts",
  "test/cluster-state/blob-keeper-s3.test.ts",
  "test/cloud/aws/instance-profile.test.ts",
  "test/cli/nodepool-apply.test.ts",
  "test/**/real-apiserver-*.test.ts",
  "test/api/crd-differential.test.ts",
  "test/provisioning/naming-and-records.test.ts",
  "test/provisioning/signals.test.ts",
  "test/replay/report-browser.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Two cores here; integration tests start their own emulators.
    pool: "forks",
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: INTEGRATION } },
      { extends: true, test: { name: "integration", include: INTEGRATION, globalSetup: ["test/setup/global-setup.ts"] } },
    ],
  },
});
