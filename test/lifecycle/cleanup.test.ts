/**
 * Clean-up in the lifecycle tick: what must stay (planCleanup, pure), and how the tick runs it
 * (cleanUp): at most once per interval through the "cleanup" lease, failures logged and counted
 * but never failing the tick, profiles left alone when the NodeClass list can't be read.
 */
import { describe, expect, it } from "vitest";
import type { Cloud, CloudInstance } from "../../lib/ports/cloud.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import { cleanUp, runLifecycle } from "../../lib/lifecycle/lifecycle.ts";
import { METRIC } from "../../lib/ports/telemetry.ts";
import { CLEANUP_INTERVAL_MS, LAUNCH_TEMPLATE_GRACE_MS, planCleanup } from "../../lib/lifecycle/decisions.ts";
import type { FullPorts } from "../../lib/observe/ports.ts";
import { simulatedWorld } from "../../lib/wiring/in-memory.ts";
import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";

const MIN = 60_000;

function instance(id: string, tags: Record<string, string>): CloudInstance {
  return {
    providerId: `aws:///us-east-1a/${id}`, instanceId: id, instanceType: "m6i.large", zone: "us-east-1a", capacityType: "on-demand", imageId: "ami-1",
    launchTimeMs: 0, state: "running", tags,
  };
}

function record(name: string, nodeClass: string): NodeClaimRecord {
  return {
    name, phase: "Pending", createdAtMs: 0, updatedAtMs: 0, version: 1, launch: { attempts: 0 },
    nodeClaim: {
      apiVersion: "karpenter.sh/v1", kind: "NodeClaim", metadata: { name },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClass }, requirements: [], taints: [], startupTaints: [], expireAfter: null },
    },
  };
}

describe("planCleanup", () => {
  it("keeps the launch templates live instances were launched from, by the id EC2 tags them with", () => {
    const plan = planCleanup({
      records: [], nodeClasses: [],
      instances: [instance("i-1", { "aws:ec2launchtemplate:id": "lt-a" }), instance("i-2", { "aws:ec2launchtemplate:id": "lt-a" }), instance("i-3", {})],
    });
    expect([...plan.templatesInUse]).toEqual(["lt-a"]);
  });

  it("guards templates younger than any launch can run, so a launch in progress keeps the template it just made", () => {
    expect(planCleanup({ records: [], instances: [], nodeClasses: [] }).templateGraceMs).toBe(LAUNCH_TEMPLATE_GRACE_MS);
    // Lambda stops every invocation at 15 minutes.
    expect(LAUNCH_TEMPLATE_GRACE_MS).toBeGreaterThanOrEqual(15 * MIN);
  });

  it("keeps the profiles of NodeClasses that exist, that still have instances, or that a NodeClaim refers to", () => {
    const plan = planCleanup({
      nodeClasses: ["default"],
      instances: [instance("i-1", { "tenon.sh/ec2nodeclass": "retired" })],
      records: [record("gpu-abcde", "gpu")],
    });
    expect([...plan.keepNodeClasses].sort()).toEqual(["default", "gpu", "retired"]);
  });

  it("lets go of a NodeClass that is gone and has no instance and no NodeClaim", () => {
    const plan = planCleanup({ nodeClasses: [], instances: [instance("i-1", { "tenon.sh/ec2nodeclass": "default" })], records: [] });
    expect(plan.keepNodeClasses.has("retired")).toBe(false);
    expect(plan.keepNodeClasses.has("default")).toBe(true);
  });
});

interface CloudCalls {
  templates: Array<{ inUse: string[]; graceMs: number }>;
  profiles: string[][];
}

/** Ports over a simulated world whose cloud records the clean-up calls (and fails them on demand). */
function harness(options: { failTemplates?: boolean; failProfiles?: boolean; withCleanup?: boolean } = {}) {
  const store = createMemoryStore();
  const w = simulatedWorld({ store });
  const calls: CloudCalls = { templates: [], profiles: [] };
  const cloud: Cloud = Object.create(w.cloud) as Cloud;
  if (options.withCleanup !== false) {
    cloud.cleanupLaunchTemplates = async (inUse, graceMs) => {
      calls.templates.push({ inUse: [...inUse].sort(), graceMs });
      if (options.failTemplates) throw new Error("UnauthorizedOperation: ec2:DeleteLaunchTemplate");
      return ["tenon/tenon-sim/old"];
    };
    cloud.cleanupInstanceProfiles = async (keep) => {
      calls.profiles.push([...keep].sort());
      if (options.failProfiles) throw new Error("AccessDenied: iam:DeleteInstanceProfile");
      return ["tenon-sim_0123456789abcdef"];
    };
  } else {
    // A cloud with no launch templates or instance profiles to clean (the port makes them optional).
    cloud.cleanupLaunchTemplates = undefined;
    cloud.cleanupInstanceProfiles = undefined;
  }
  const ports: FullPorts = { ...w.ports, cloud };
  return { w, ports, calls, store, telemetry: w.telemetry };
}

describe("clean-up in the lifecycle tick", () => {
  it("runs at most once per interval: only the tick that acquires the cleanup lease cleans", async () => {
    const { w, ports, calls } = harness();
    const runs: boolean[] = [];
    for (let minute = 0; minute <= 20; minute++) {
      runs.push((await cleanUp(ports, { records: [], instances: [] })) !== undefined);
      await w.cluster.clock.advance(MIN);
    }
    expect(runs.map((r, minute) => (r ? minute : -1)).filter((m) => m >= 0)).toEqual([0, 10, 20]);
    expect(calls.templates).toHaveLength(3);
    expect(CLEANUP_INTERVAL_MS).toBe(10 * MIN);
  });

  it("passes what must stay, reports and counts what it deleted", async () => {
    const { w, ports, calls, telemetry } = harness();
    w.cluster.putCustomObject("EC2NodeClass", { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "from-cluster" }, spec: {} });
    await ports.store.putConfigObject("EC2NodeClass", "from-table", { metadata: { name: "from-table" }, spec: "not even valid" }, 0);
    const report = await cleanUp(ports, {
      records: [record("x-abcde", "pending-class")],
      instances: [instance("i-1", { "aws:ec2launchtemplate:id": "lt-1", "tenon.sh/ec2nodeclass": "running-class" })],
    });
    expect(calls.templates).toEqual([{ inUse: ["lt-1"], graceMs: LAUNCH_TEMPLATE_GRACE_MS }]);
    expect(calls.profiles).toEqual([["from-cluster", "from-table", "pending-class", "running-class"]]);
    expect(report).toEqual({ launchTemplates: ["tenon/tenon-sim/old"], instanceProfiles: ["tenon-sim_0123456789abcdef"], failures: [] });
    expect(telemetry.total(METRIC.launchTemplatesDeleted)).toBe(1);
    expect(telemetry.total(METRIC.instanceProfilesDeleted)).toBe(1);
  });

  it("logs and counts a failed step, still runs the other, and never fails the tick", async () => {
    const { ports, calls, telemetry } = harness({ failTemplates: true });
    const report = await runLifecycle(ports);
    expect(report.cleanup?.failures).toEqual(["deleting unused launch templates: UnauthorizedOperation: ec2:DeleteLaunchTemplate"]);
    expect(report.cleanup?.instanceProfiles).toEqual(["tenon-sim_0123456789abcdef"]);
    expect(calls.profiles).toHaveLength(1);
    expect(telemetry.total(METRIC.cleanupFailures)).toBe(1);
    expect(telemetry.logs.some((l) => l.level === "warn" && l.message.includes("ec2:DeleteLaunchTemplate"))).toBe(true);

    const second = harness({ failProfiles: true });
    const secondReport = await runLifecycle(second.ports);
    expect(secondReport.cleanup?.failures).toEqual(["deleting orphaned instance profiles: AccessDenied: iam:DeleteInstanceProfile"]);
    expect(secondReport.cleanup?.launchTemplates).toEqual(["tenon/tenon-sim/old"]);
  });

  it("deletes no profile when the NodeClasses can't be listed (every profile would look orphaned), but still cleans templates", async () => {
    const { ports, calls, telemetry } = harness();
    ports.cluster = Object.create(ports.cluster) as FullPorts["cluster"];
    ports.cluster.listCustomObjects = async () => {
      throw new Error("Forbidden: ec2nodeclasses.karpenter.k8s.aws");
    };
    const report = await cleanUp(ports, { records: [], instances: [] });
    expect(calls.profiles).toEqual([]);
    expect(calls.templates).toHaveLength(1);
    expect(report?.failures).toEqual(["listing EC2NodeClasses: Forbidden: ec2nodeclasses.karpenter.k8s.aws"]);
    expect(telemetry.total(METRIC.cleanupFailures)).toBe(1);
  });

  it("takes no lease and does nothing on a cloud without clean-up calls", async () => {
    const { ports, store } = harness({ withCleanup: false });
    expect(await cleanUp(ports, { records: [], instances: [] })).toBeUndefined();
    expect(await store.getLease("cleanup")).toBeUndefined();
  });
});
