import { describe, expect, it } from "vitest";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { daemonSet, existingNode, input, instanceType, nodePool, option, pods, ZONE } from "../support/builders.ts";
import { reasonOf } from "../support/scheduling.ts";

const types = () => [2, 4].map((n) => instanceType(`t${n}`, { cpu: String(n), memory: `${4 * n}Gi`, price: 0.1 * n }));

describe("DaemonSet overhead on new nodes", () => {
  it("adds the requests of DaemonSets that would run on the node", () => {
    const r = schedule(input({ pods: pods(1, "p", { cpu: "1500m" }), nodePools: [option(nodePool("default"), types())], daemonSets: [daemonSet("agent", { cpu: "1" })] }));
    const claim = r.newNodeClaims[0]!;
    expect(claim.daemonSetRequests).toEqual({ cpu: 1000, pods: 1 });
    expect(claim.requests.cpu).toBe(2500);
    expect(claim.instanceTypes.map((t) => t.name)).toEqual(["t4"]);
  });

  it("ignores DaemonSets that don't tolerate the NodePool taints or don't match its labels", () => {
    const np = nodePool("default", { taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }], labels: { role: "batch" } });
    const podsTolerating = pods(1, "p", { cpu: "1500m", tolerations: [{ key: "dedicated", operator: "Exists" }] });
    const intolerant = daemonSet("intolerant", { cpu: "1" });
    const elsewhere = daemonSet("elsewhere", { cpu: "1", tolerations: [{ operator: "Exists" }], nodeSelector: { role: "web" } });
    const matching = daemonSet("matching", { cpu: "200m", tolerations: [{ operator: "Exists" }], nodeSelector: { role: "batch" } });
    const r = schedule(input({ pods: podsTolerating, nodePools: [option(np, types())], daemonSets: [intolerant, elsewhere, matching] }));
    expect(r.newNodeClaims[0]!.daemonSetRequests).toEqual({ cpu: 200, pods: 1 });
    expect(r.newNodeClaims[0]!.instanceTypes.map((t) => t.name)).toEqual(["t2", "t4"]);
  });

  it("names the DaemonSet overhead when it makes a pod too big", () => {
    const r = schedule(input({ pods: pods(1, "p", { cpu: "3500m" }), nodePools: [option(nodePool("default"), types())], daemonSets: [daemonSet("agent", { cpu: "1" })] }));
    expect(reasonOf(r, "p-0")).toBe("no instance type in NodePool default has enough cpu (wants 4500m including 1 of DaemonSet overhead, largest 4)");
  });

  it("keeps pods off new nodes where a DaemonSet binds the same host port", () => {
    const exporter = daemonSet("node-exporter", { cpu: "100m" });
    exporter.spec.template.spec.containers[0]!.ports = [{ containerPort: 9100, hostPort: 9100 }];
    const clash = pods(1, "clash", { cpu: "100m" });
    clash[0]!.spec.containers[0]!.ports = [{ containerPort: 9100, hostPort: 9100 }];
    const r = schedule(input({ pods: clash, nodePools: [option(nodePool("default"), types())], daemonSets: [exporter] }));
    expect(reasonOf(r, "clash-0")).toBe("NodePool default: host port 0.0.0.0:9100/TCP is taken by a DaemonSet on its nodes");
  });

  it("holds back room on a node not yet initialized for DaemonSet pods not bound yet", () => {
    const ds = daemonSet("agent", { cpu: "1" });
    const fresh = existingNode("fresh", { cpu: "2", initialized: false, labels: { [ZONE]: "test-zone-a" } });
    const r = schedule(input({ pods: pods(2, "p", { cpu: "1" }), existingNodes: [fresh], daemonSets: [ds] }));
    expect(r.existingNodes[0]!.pods).toHaveLength(1);
  });
});
