import { describe, expect, it } from "vitest";
import { daemonSetFits } from "../../../lib/cluster/in-memory/controllers.ts";
import type { PodSpec } from "../../../lib/api/kubernetes.ts";

const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ name: "c" }], ...extra });
const labels = { "kubernetes.io/os": "linux", "karpenter.k8s.aws/instance-gpu-count": "4" };

describe("DaemonSet placement in the simulation", () => {
  it("tolerates the node-condition taints the DaemonSet controller adds, but not others", () => {
    expect(daemonSetFits(spec(), "n", labels, [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }])).toBe(true);
    expect(daemonSetFits(spec(), "n", labels, [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }])).toBe(false);
    expect(daemonSetFits(spec(), "n", labels, [{ key: "soft", effect: "PreferNoSchedule" }])).toBe(true);
    const tolerant = spec({ tolerations: [{ operator: "Exists" }] });
    expect(daemonSetFits(tolerant, "n", labels, [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }])).toBe(true);
  });

  it("honours the node selector and required node affinity, including numeric Gt and matchFields", () => {
    expect(daemonSetFits(spec({ nodeSelector: { "kubernetes.io/os": "windows" } }), "n", labels, [])).toBe(false);
    const gpu = (operator: "Gt" | "Lt", value: string) =>
      spec({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "karpenter.k8s.aws/instance-gpu-count", operator, values: [value] }] }] } } } });
    expect(daemonSetFits(gpu("Gt", "0"), "n", labels, [])).toBe(true);
    expect(daemonSetFits(gpu("Lt", "4"), "n", labels, [])).toBe(false);
    const pinned = spec({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n"] }] }] } } } });
    expect(daemonSetFits(pinned, "n", labels, [])).toBe(true);
    expect(daemonSetFits(pinned, "other", labels, [])).toBe(false);
  });
});
