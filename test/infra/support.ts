/**
 * Builds the Tenon stack the way `cdk synth` would (cdk.json's feature flags plus the given
 * context) from the repository's real handlers in functions/, with bundling skipped for speed
 * (test/infra/bundles.test.ts and bundling.test.ts really bundle).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { buildApp, PROJECT_ROOT } from "../../infra/build-app.ts";
import type { TenonStack } from "../../infra/stack.ts";

export const NODE_ROLE = "arn:aws:iam::123456789012:role/KarpenterNodeRole-demo";

const cdkJsonContext = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "cdk.json"), "utf8")) as { context: Record<string, unknown> }).context;

export function buildTestApp(context: Record<string, unknown>, options: { nag?: boolean; env?: Record<string, string>; outdir?: string } = {}) {
  return buildApp({
    appProps: { context: { ...cdkJsonContext, "aws:cdk:bundling-stacks": [], ...context }, ...(options.outdir ? { outdir: options.outdir } : {}) },
    functionsDir: path.join(PROJECT_ROOT, "functions"),
    env: options.env ?? {},
    nag: options.nag ?? false,
  });
}

export function synthTemplate(context: Record<string, unknown> = {}): { stack: TenonStack; template: Template } {
  const { stack } = buildTestApp({ cluster: "demo", nodeRoleArns: NODE_ROLE, ...context });
  return { stack, template: Template.fromStack(stack) };
}

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>;

export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}
