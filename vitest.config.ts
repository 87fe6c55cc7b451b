import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Two cores here; integration tests start their own emulators.
    pool: "forks",
    // We develop on Node 20 knowingly (see README); the SDK's reminder would only add noise to test logs.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
