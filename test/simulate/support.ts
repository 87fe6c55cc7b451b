/** Running `tenon simulate` in-process against files in a temporary directory, with a fake terminal. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../lib/cli/main.ts";
import type { CliIO } from "../../lib/cli/io.ts";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tenon-simulate-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export async function tenon(args: string[], cwd: string, stdin = "", isTTY = false): Promise<CliRun> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY, cwd, readStdin: async () => stdin };
  const code = await main(["node", "tenon", ...args], io);
  return { code, out, err };
}

/** A two-type catalog in two zones: small (2 cpu, 4Gi, 10 pods) at $0.1, large (8 cpu, 32Gi) at $0.4; spot only for large in zone-a. */
export const CATALOG = JSON.stringify([
  {
    name: "small",
    capacity: { cpu: "2", memory: "4Gi", pods: "10" },
    overhead: { cpu: "100m", memory: "256Mi" },
    requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
    labels: { "kubernetes.io/os": "linux", "example.com/size": "small" },
    offerings: [
      { zone: "zone-a", capacityType: "on-demand", price: 0.1 },
      { zone: "zone-b", capacityType: "on-demand", price: 0.1 },
    ],
  },
  {
    name: "large",
    capacity: { cpu: "8", memory: "32Gi" },
    requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
    labels: { "kubernetes.io/os": "linux", "example.com/size": "large" },
    offerings: [
      { zone: "zone-a", capacityType: "on-demand", price: 0.4 },
      { zone: "zone-b", capacityType: "on-demand", price: 0.4 },
      { zone: "zone-a", capacityType: "spot", price: 0.15 },
      { zone: "zone-b", capacityType: "spot", price: 0.12, available: false },
    ],
  },
]);

/** NodePool "default" (EC2NodeClass "default") with these requirements, one flow-style YAML line each; `spec` adds lines under spec. */
export function nodePoolYaml(requirements: readonly string[], spec = ""): string {
  return `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
${requirements.map((r) => `        - ${r}`).join("\n")}
${spec}`;
}

export const NODEPOOL = nodePoolYaml(['{key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}']);

export function podYaml(name: string, cpu: string, extra = "", metadataExtra = ""): string {
  return `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
${metadataExtra}
spec:
${extra}
  containers:
    - name: app
      resources: {requests: {cpu: "${cpu}", memory: 256Mi}}
`;
}

export const docs = (...parts: string[]): string => parts.map((p) => p.trim()).join("\n---\n") + "\n";
