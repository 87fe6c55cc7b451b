import { describe, expect, it } from "vitest";
import type { Pod } from "../../lib/api/kubernetes.ts";
import { podRequests } from "../../lib/scheduling/pod-requests.ts";

const GiB = 1024 ** 3;
function withContainers(spec: Partial<Pod["spec"]>): Pod {
  return { metadata: { name: "p" }, spec: { containers: [], ...spec } };
}
const c = (name: string, cpu: string, extra: object = {}) => ({ name, resources: { requests: { cpu } }, ...extra });

describe("pod requests", () => {
  it("sums containers and counts one pod; limits alone stand in for requests", () => {
    const pod = withContainers({
      containers: [c("a", "250m"), { name: "b", resources: { requests: { memory: "1Gi" }, limits: { cpu: "500m", memory: "2Gi" } } }],
    });
    expect(podRequests(pod)).toEqual({ cpu: 750, memory: GiB, pods: 1 });
  });

  it("takes the larger of the init peak and the running sum", () => {
    const pod = withContainers({ containers: [c("a", "1")], initContainers: [c("i1", "3"), c("i2", "2")] });
    expect(podRequests(pod).cpu).toBe(3000);
    const small = withContainers({ containers: [c("a", "2")], initContainers: [c("i1", "1")] });
    expect(podRequests(small).cpu).toBe(2000);
  });

  it("adds sidecars to every later init container and to the main phase (KEP-753)", () => {
    const pod = withContainers({
      containers: [c("a", "1")],
      initContainers: [c("i1", "1"), c("side", "500m", { restartPolicy: "Always" }), c("i2", "2")],
    });
    // i1 alone: 1; i2 runs next to the sidecar: 2.5; main phase: 1 + 0.5 = 1.5 -> 2.5
    expect(podRequests(pod).cpu).toBe(2500);
    const sidecarOnly = withContainers({ containers: [c("a", "1")], initContainers: [c("side", "500m", { restartPolicy: "Always" })] });
    expect(podRequests(sidecarOnly).cpu).toBe(1500);
  });

  it("adds pod overhead and lets pod-level resources replace the container sum", () => {
    const pod = withContainers({ containers: [c("a", "1"), c("b", "1")], overhead: { cpu: "100m" }, resources: { requests: { cpu: "1500m" } } });
    expect(podRequests(pod).cpu).toBe(1600);
  });

  it("keeps extended resources", () => {
    const pod = withContainers({ containers: [{ name: "g", resources: { limits: { "nvidia.com/gpu": "2" } } }] });
    expect(podRequests(pod)).toEqual({ "nvidia.com/gpu": 2, pods: 1 });
  });
});
