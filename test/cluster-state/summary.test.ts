import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Container, Pod, PodAffinityTerm } from "../../lib/api/kubernetes.ts";
import { holdsCapacity, podFromSummary, summarizeBoundPod, summaryProblem } from "../../lib/cluster-state/summary.ts";
import { podHostPorts } from "../../lib/scheduling/host-ports.ts";
import { podRequests } from "../../lib/scheduling/pod-requests.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { existingNode, HOSTNAME, input, pod, ZONE, ZONES } from "../support/builders.ts";
import { placementOf } from "../support/scheduling.ts";

function bound(p: Pod, node = "node-a"): Pod {
  return { ...p, spec: { ...p.spec, nodeName: node }, status: { phase: "Running" } };
}

const roundTrip = (p: Pod): Pod => podFromSummary(summarizeBoundPod(p)!);

describe("bound pod summary", () => {
  it("keeps the requests the scheduler counts: init containers, sidecars, overhead and pod-level resources folded in", () => {
    const init: Container[] = [
      { name: "setup", resources: { requests: { cpu: "2", memory: "1Gi" } } },
      { name: "proxy", restartPolicy: "Always", resources: { requests: { cpu: "300m", memory: "128Mi" } } },
    ];
    const original = bound(pod({ cpu: "250m", memory: "512Mi", requests: { "nvidia.com/gpu": "1" }, initContainers: init, overhead: { cpu: "50m" } }));
    expect(podRequests(roundTrip(original))).toEqual(podRequests(original));
    const podLevel = bound(pod({ cpu: "100m", resources: { requests: { cpu: "3", memory: "2Gi" } } }));
    expect(podRequests(roundTrip(podLevel))).toEqual(podRequests(podLevel));
  });

  it("keeps host ports, labels, namespace, DaemonSet ownership and required anti-affinity terms", () => {
    const anti: PodAffinityTerm[] = [{ topologyKey: HOSTNAME, labelSelector: { matchLabels: { app: "db" } } }];
    const original = bound(
      pod({
        namespace: "shop",
        labels: { app: "db" },
        ownerKind: "DaemonSet",
        containers: [{ name: "db", ports: [{ containerPort: 5432, hostPort: 5432 }, { containerPort: 53, hostPort: 53, protocol: "UDP", hostIP: "10.0.0.1" }] }],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: anti } },
      }),
    );
    const copy = roundTrip(original);
    expect(podHostPorts(copy)).toEqual(podHostPorts(original));
    expect(copy.metadata).toMatchObject({ namespace: "shop", labels: { app: "db" }, ownerReferences: [{ kind: "DaemonSet", name: "owner" }] });
    expect(copy.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual(anti);
    expect(copy.spec.nodeName).toBe("node-a");
  });

  it("has no summary for pods that hold no capacity: unbound or finished", () => {
    expect(summarizeBoundPod(pod({ cpu: "1" }))).toBeUndefined();
    expect(summarizeBoundPod({ ...bound(pod({ cpu: "1" })), status: { phase: "Succeeded" } })).toBeUndefined();
    expect(holdsCapacity(bound(pod({ cpu: "1" })))).toBe(true);
  });

  it("counts a pod with a malformed quantity as requesting only its pod slot, as the scheduler does", () => {
    const broken = bound(pod({ requests: { cpu: "lots" } }));
    expect(podRequests(roundTrip(broken))).toEqual({ pods: 1 });
  });

  it("rejects a stored summary without a node", () => {
    expect(summaryProblem({ namespace: "a", name: "b" })).toBe("node is not a non-empty string");
    expect(summaryProblem(summarizeBoundPod(bound(pod({ cpu: "1" }))))).toBeUndefined();
  });

  it("schedules pending pods exactly as the full bound pods do (requests, spread, anti-affinity, host ports)", () => {
    const boundPod = fc.record({
      node: fc.integer({ min: 0, max: 2 }),
      app: fc.constantFrom("web", "db", "cache"),
      cpu: fc.constantFrom("100m", "500m", "1", "1500m"),
      antiHost: fc.boolean(),
      hostPort: fc.option(fc.constantFrom(80, 443), { nil: undefined }),
      daemon: fc.boolean(),
    });
    const pendingPod = fc.record({
      app: fc.constantFrom("web", "db", "cache"),
      cpu: fc.constantFrom("100m", "500m", "1"),
      spread: fc.boolean(),
      antiHost: fc.boolean(),
      hostPort: fc.option(fc.constantFrom(80, 443), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(boundPod, { maxLength: 12 }), fc.array(pendingPod, { minLength: 1, maxLength: 6 }), (bounds, pendings) => {
        const nodeNames = ["node-a", "node-b", "node-c"];
        const boundPods = bounds.map((b, i) =>
          bound(
            pod({
              name: `bound-${i}`,
              labels: { app: b.app },
              ownerKind: b.daemon ? "DaemonSet" : "ReplicaSet",
              containers: [{ name: "c", resources: { requests: { cpu: b.cpu } }, ...(b.hostPort ? { ports: [{ containerPort: b.hostPort, hostPort: b.hostPort }] } : {}) }],
              ...(b.antiHost ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector: { matchLabels: { app: b.app } } }] } } } : {}),
            }),
            nodeNames[b.node],
          ),
        );
        const pendingPods = pendings.map((p, i) =>
          pod({
            name: `pending-${i}`,
            labels: { app: p.app },
            containers: [{ name: "c", resources: { requests: { cpu: p.cpu } }, ...(p.hostPort ? { ports: [{ containerPort: p.hostPort, hostPort: p.hostPort }] } : {}) }],
            ...(p.spread ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: p.app } } }] } : {}),
            ...(p.antiHost ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME, labelSelector: { matchLabels: { app: p.app } } }] } } } : {}),
          }),
        );
        const nodesWith = (toPod: (p: Pod) => Pod) =>
          nodeNames.map((name, i) => existingNode(name, { cpu: "2", labels: { [ZONE]: ZONES[i]! }, pods: boundPods.filter((p) => p.spec.nodeName === name).map(toPod) }));
        const full = schedule(input({ pods: pendingPods, existingNodes: nodesWith((p) => p) }));
        const summarized = schedule(input({ pods: pendingPods, existingNodes: nodesWith(roundTrip) }));
        expect(placementOf(summarized)).toEqual(placementOf(full));
        expect(summarized.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name))).toEqual(full.newNodeClaims.map((c) => c.instanceTypes.map((t) => t.name)));
      }),
      { numRuns: 60 },
    );
  });
});
