/**
 * CDK entry point: `npx cdk deploy -c cluster=<name> -c nodeRoleArns=<arn>[,<arn>]`.
 * Bad context prints one line per problem and exits 1, instead of a stack trace.
 */
import { InputError } from "../lib/errors.ts";
import { buildApp } from "./build-app.ts";

try {
  const { app } = buildApp({ nag: true });
  app.synth();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  console.error(`tenon: cannot synthesize the stack:\n${error.message}`);
  process.exit(1);
}
