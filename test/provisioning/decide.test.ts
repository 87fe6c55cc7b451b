/**
 * The provisioner's decision as data: what a scheduling result becomes, inspected without any port.
 */
import { describe, expect, it } from "vitest";
import type { Action } from "../../lib/actions/actions.ts";
import { decideProvisioning, decideRelaunch } from "../../lib/provisioning/provisioner.ts";
import type { NodeClaimRecord } from "../../lib/ports/store.ts";
import type { NewNodeClaim, NodePoolOption, SchedulingResult } from "../../lib/scheduling/types.ts";
import { claimContent } from "../support/records.ts";
import { instanceType, nodeClass, nodePool, pod } from "../support/builders.ts";

const small = instanceType("small", { cpu: "2", memory: "4Gi", price: 0.1 });
const large = instanceType("large", { cpu: "8", memory: "16Gi", price: 0.4 });
const option: NodePoolOption = { nodePool: nodePool("default"), instanceTypes: [large, small], nodeClass: nodeClass() };
const lease = { name: "provisioner", holder: "run-1", token: 7, ttlMs: 150_000 };
let draws = 0;
const ids = { suffix: () => "abcdefghijklmnopqrstuvwxyz".slice(draws % 20, (draws++ % 20) + 5), uid: () => `uid-${draws}` };

function claim(pods = [pod({ name: "web-0", cpu: "1" })]): NewNodeClaim {
  return { nodePoolName: "default", requirements: [], labels: {}, taints: [], startupTaints: [], instanceTypes: [small, large], pods, requests: { cpu: 1 }, daemonSetRequests: {} };
}

function record(name: string, phase: NodeClaimRecord["phase"]): NodeClaimRecord {
  return { ...claimContent(name, phase), name, version: 1, createdAtMs: 0, updatedAtMs: 0 } as NodeClaimRecord;
}

const decide = (result: Partial<SchedulingResult>, records: NodeClaimRecord[] = []) =>
  decideProvisioning({ observation: { records, nodePools: [option] }, result: { newNodeClaims: [], existingNodes: [], unschedulable: [], ...result } as SchedulingResult, lease, ids, nowMs: 1_000, launchAttempts: 3 });

const shape = (actions: Action[]) => actions.map((a) => (a.kind === "renew-lease" ? `${a.kind}${a.withdraw ? "+withdraw" : ""}` : a.kind === "record-event" ? `event:${a.event.reason}` : a.kind));

describe("the provisioner's decision", () => {
  it("fences, writes each NodeClaim before anything launches, fences again (withdrawing on loss), then nominates and launches", () => {
    const actions = decide({ newNodeClaims: [claim()] });
    expect(shape(actions)).toEqual(["renew-lease", "write-nodeclaim", "renew-lease+withdraw", "event:Nominated", "launch-nodeclaim"]);
    const write = actions[1] as Extract<Action, { kind: "write-nodeclaim" }>;
    const launch = actions[4] as Extract<Action, { kind: "launch-nodeclaim" }>;
    expect(launch.name).toBe(write.content.nodeClaim.metadata.name);
    expect(write.content.phase).toBe("Pending");
    expect(write.content.nodeClaim.metadata.annotations?.["tenon.sh/provisioner-lease-token"]).toBe("7");
    for (const a of actions) expect(a.reason).not.toBe("");
  });

  it("carries the NodePool option and the scheduler's instance types to the launch, in the scheduler's order", () => {
    const launch = decide({ newNodeClaims: [claim()] }).find((a) => a.kind === "launch-nodeclaim") as Extract<Action, { kind: "launch-nodeclaim" }>;
    expect(launch.option).toBe(option);
    expect(launch.instanceTypes).toEqual([small, large]);
    expect(launch.instanceTypes![0]).toBe(small);
  });

  it("writes no NodeClaim, and takes no lease, when nothing new is needed; unschedulable pods still get their Event", () => {
    const actions = decide({ unschedulable: [{ pod: pod({ name: "huge" }), reason: "incompatible with NodePool default because no instance type has enough cpu" }] });
    expect(shape(actions)).toEqual(["event:FailedScheduling"]);
  });

  it("nominates pods placed on capacity in flight, and not pods placed on nodes that are already there", () => {
    const actions = decide({ existingNodes: [{ name: "default-aaaaa", pods: [pod({ name: "a" })] }, { name: "ip-10-0-0-1", pods: [pod({ name: "b" })] }] }, [record("default-aaaaa", "Launched")]);
    expect(actions.map((a) => (a.kind === "record-event" ? a.event.message : a.kind))).toEqual(["Pod should schedule on NodeClaim default-aaaaa"]);
  });

  it("relaunches the Pending records a crashed run left, with their NodePool option, and nothing else", () => {
    const actions = decideRelaunch({ records: [record("default-aaaaa", "Pending"), record("default-bbbbb", "Launched")], nodePools: [option] }, 3);
    expect(actions).toEqual([expect.objectContaining({ kind: "launch-nodeclaim", name: "default-aaaaa", option, attempts: 3 })]);
  });
});
