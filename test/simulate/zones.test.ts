/**
 * Which zones `simulate` and `disrupt` assume when no EC2NodeClass reports its subnets: the
 * region's usual zones (not the legacy us-east-1e, which offers few current types), said in a note,
 * or the user's `--zones`.
 */
import { describe, expect, it } from "vitest";
import { tenon, workdir } from "./support.ts";

/** Karpenter's general-purpose NodePool (current generations only) and its zone-spread workload: no status.subnets. */
const SPREAD = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general-purpose}
spec:
  template:
    spec:
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: ["amd64"]}
        - {key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: ["c", "m", "r"]}
        - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["5"]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  role: KarpenterNodeRole-demo
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  amiSelectorTerms: [{alias: al2023@latest}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: zone-spread}
spec:
  replicas: 20
  selector: {matchLabels: {app: zone-spread}}
  template:
    metadata: {labels: {app: zone-spread}}
    spec:
      containers: [{name: app, resources: {requests: {cpu: "1", memory: 256M}}}]
      topologySpreadConstraints:
        - {labelSelector: {matchLabels: {app: zone-spread}}, maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
`;

interface Output {
  nodeClaims: Array<{ launch: { zone: string } | null; pods: string[] }>;
  unschedulable: unknown[];
}

const zonesOf = (o: Output) => [...new Set(o.nodeClaims.map((c) => c.launch?.zone))].sort();

describe("zones without EC2NodeClass status.subnets", () => {
  it("assumes the region's usual zones, leaving out us-east-1e, and says so in one note", async () => {
    for (const command of ["simulate", "disrupt"]) {
      const run = await tenon([command, "-f", "in.yaml", "-o", "json"], workdir({ "in.yaml": SPREAD }));
      expect(run.code).toBe(0);
      expect(run.err.split("\n").filter((l) => l.startsWith("note: zones:"))).toEqual([
        "note: zones: assumed us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f where no EC2NodeClass status.subnets names them (left out us-east-1e, which offers 58 of the region's 1345 instance types); give --zones to use your cluster's",
      ]);
    }
    const output = JSON.parse((await tenon(["simulate", "-f", "in.yaml", "-o", "json"], workdir({ "in.yaml": SPREAD }))).out) as Output;
    expect(output.unschedulable).toEqual([]);
    expect(zonesOf(output)).toEqual(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]);
  });

  it("uses --zones instead, on simulate and disrupt", async () => {
    const run = await tenon(["simulate", "-f", "in.yaml", "-o", "json", "--zones", "us-east-1b,us-east-1a"], workdir({ "in.yaml": SPREAD }));
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out) as Output;
    expect(output.unschedulable).toEqual([]);
    expect(zonesOf(output)).toEqual(["us-east-1a", "us-east-1b"]);
    expect(run.err).toContain("note: zones: us-east-1a, us-east-1b (from --zones) where no EC2NodeClass status.subnets names them");
    const disrupt = await tenon(["disrupt", "-f", "in.yaml", "-o", "json", "--zones", "us-east-1a"], workdir({ "in.yaml": SPREAD }));
    expect(disrupt.code).toBe(0);
    expect(disrupt.err).toContain("note: zones: us-east-1a (from --zones)");
  });

  it("rejects zones the region does not have, and --zones with an --instance-types catalog", async () => {
    const dir = workdir({ "in.yaml": SPREAD, "catalog.json": "[]" });
    const bad = await tenon(["simulate", "-f", "in.yaml", "--zones", "us-east-1a,us-west-2a"], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("error: --zones: us-west-2a is not a zone of us-east-1 (us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f)\n");
    const catalog = await tenon(["disrupt", "-f", "in.yaml", "--instance-types", "catalog.json", "--zones", "us-east-1a"], dir);
    expect(catalog.code).toBe(2);
    expect(catalog.err).toContain("error: --zones: applies to the bundled AWS catalog");
  });
});

describe("the note on instance types the EC2NodeClass can't launch", () => {
  const pool = (requirements: string) => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: p}
spec:
  template:
    spec:
      requirements: ${requirements}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
`;
  const a1Notes = async (requirements: string) => {
    const run = await tenon(["simulate", "-f", "in.yaml", "-o", "json", "--zones", "us-east-1a"], workdir({ "in.yaml": pool(requirements) }));
    expect(run.code).toBe(0);
    return run.err.split("\n").filter((l) => l.includes("a1 instance types are not supported by AL2023"));
  };

  it("appears when a NodePool could have chosen a1 (AL2023 by default)", async () => {
    expect(await a1Notes("[]")).toEqual(["note: 6 instance types are unavailable: a1 instance types are not supported by AL2023"]);
    expect(await a1Notes(`[{key: kubernetes.io/arch, operator: In, values: ["arm64"]}]`)).toHaveLength(1);
  });

  it("does not appear when no NodePool could choose a1", async () => {
    expect(await a1Notes(`[{key: kubernetes.io/arch, operator: In, values: ["amd64"]}]`)).toEqual([]);
    expect(await a1Notes(`[{key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["2"]}]`)).toEqual([]);
    expect(await a1Notes(`[{key: karpenter.k8s.aws/instance-gpu-count, operator: In, values: ["1"]}]`)).toEqual([]);
  });
});
