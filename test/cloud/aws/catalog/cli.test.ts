/** `tenon instance-types` through the real CLI entry point, with a fake terminal. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { CliIO } from "../../../../lib/cli/io.ts";
import { main } from "../../../../lib/cli/main.ts";
import { parseCatalogJson } from "../../../../lib/cli/catalog-format.ts";

// Keep this file about instance-types: the simulate command's module graph is not needed here.
vi.mock("../../../../lib/cli/commands/simulate.ts", () => ({ registerSimulate: () => undefined }));

interface Run {
  code: number;
  out: string;
  err: string;
}

async function tenon(args: string[], cwd = process.cwd()): Promise<Run> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, cwd, readStdin: async () => "" };
  const code = await main(["node", "tenon", "instance-types", ...args], io);
  return { code, out, err };
}

function jsonOf(run: Run): Array<Record<string, unknown> & { name: string; labels: Record<string, string>; allocatable: Record<string, string> }> {
  expect(run.code).toBe(0);
  return JSON.parse(run.out);
}

describe("tenon instance-types -o json", () => {
  it("prints one array of catalog entries with allocatable, and notes on stderr", async () => {
    const run = await tenon(["-o", "json", "--filter", "node.kubernetes.io/instance-type=m5.large"]);
    const [m5, ...rest] = jsonOf(run);
    expect(rest).toEqual([]);
    expect(m5!.allocatable).toEqual({ cpu: "1930m", memory: "6903Mi", pods: "29", "ephemeral-storage": "17Gi", "vpc.amazonaws.com/pod-eni": "9" });
    expect(m5!.capacity).toMatchObject({ cpu: "2", memory: "7577Mi" });
    expect(run.err).toMatch(/^note: spot prices: none given/m);
  });

  it("is valid input for --instance-types catalogs", async () => {
    const run = await tenon(["-o", "json", "--filter", "instance-family=m5"]);
    const parsed = parseCatalogJson(run.out, "out.json");
    expect(parsed.length).toBeGreaterThan(5);
    expect(parsed.find((t) => t.name === "m5.large")!.allocatable.cpu).toBe(1930);
  });

  it("defaults to JSON when stdout is not a terminal", async () => {
    const run = await tenon(["--filter", "instance-type=m5.large"]);
    expect(jsonOf(run)).toHaveLength(1);
  });
});

describe("filters", () => {
  it("ANDs repeated filters and compares numbers", async () => {
    const types = jsonOf(await tenon(["-o", "json", "--filter", "instance-cpu>=64", "--filter", "arch=arm64", "--filter", "instance-cpu<=96"]));
    expect(types.length).toBeGreaterThan(0);
    for (const t of types) {
      const cpu = Number(t.labels["karpenter.k8s.aws/instance-cpu"]);
      expect(cpu >= 64 && cpu <= 96 && t.labels["kubernetes.io/arch"] === "arm64").toBe(true);
    }
  });

  it("matches requirements such as capacity type and zone, not only labels", async () => {
    const spot = jsonOf(await tenon(["-o", "json", "--filter", "capacity-type=spot", "--filter", "instance-category=c"]));
    const all = jsonOf(await tenon(["-o", "json", "--filter", "instance-category=c"]));
    expect(spot.length).toBeGreaterThan(0);
    expect(spot.length).toBeLessThan(all.length);
    const inZone = jsonOf(await tenon(["-o", "json", "--region", "us-west-2", "--filter", "zone=us-west-2d", "--filter", "instance-family=m5"]));
    for (const t of inZone) expect((t.offerings as Array<{ zone: string }>).some((o) => o.zone === "us-west-2d")).toBe(true);
  });

  it("notes types the NodeClass can't launch only when some of them are listed", async () => {
    const a1 = "note: 6 instance types are unavailable: a1 instance types are not supported by AL2023";
    expect((await tenon(["-o", "json"])).err.split("\n")).toContain(a1);
    expect((await tenon(["--filter", "instance-type=a1.large", "-o", "json"])).err.split("\n")).toContain(a1);
    expect((await tenon(["--filter", "instance-family=m7g", "-o", "json"])).err).not.toContain("a1 instance types");
  });

  it("rejects malformed filters with exit 2 and one line", async () => {
    const run = await tenon(["--filter", "instance-cpu>=lots"]);
    expect(run.code).toBe(2);
    expect(run.err).toBe('error: filter "instance-cpu>=lots": >= needs a number, got "lots"\n');
    expect((await tenon(["--filter", "no-operator"])).code).toBe(2);
  });
});

describe("tenon instance-types -o table", () => {
  // Without live spot prices spot costs the same as on-demand; the tie goes to on-demand, whose price is real.
  it("prints aligned columns with capacity, allocatable, arch and the cheapest offering", async () => {
    const run = await tenon(["-o", "table", "--filter", "instance-family=m5"]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+CPU\s+MEMORY\s+PODS\s+ALLOC CPU\s+ALLOC MEMORY\s+ARCH\s+ZONES\s+CHEAPEST\s+CAPACITY TYPE$/);
    const m5 = lines.find((l) => l.startsWith("m5.large "))!;
    expect(m5.split(/\s{2,}/)).toEqual(["m5.large", "2", "7577Mi", "29", "1930m", "6903Mi", "amd64", "5", "$0.0982", "on-demand"]);
    // Right-aligned numbers end in the same column as their header.
    const end = lines[0]!.indexOf("ALLOC MEMORY") + "ALLOC MEMORY".length;
    for (const line of lines.slice(1)) expect([line[end - 1] !== " ", line[end]]).toEqual([true, " "]);
  });

  it("lists each family smallest first", async () => {
    const run = await tenon(["-o", "table", "--filter", "instance-family=m5"]);
    const names = run.out.trimEnd().split("\n").slice(1).map((l) => l.split(" ")[0]);
    expect(names.slice(0, 4)).toEqual(["m5.large", "m5.xlarge", "m5.2xlarge", "m5.4xlarge"]);
  });

  it("says so when nothing matches", async () => {
    const run = await tenon(["-o", "table", "--filter", "instance-family=nope"]);
    expect(run).toMatchObject({ code: 0, out: "no instance types match\n" });
  });
});

describe("options and errors", () => {
  it("rejects an unknown region, output format or number with exit 2", async () => {
    const region = await tenon(["--region", "mars-1"]);
    expect(region).toMatchObject({ code: 2, out: "" });
    expect(region.err).toBe('error: --region: "mars-1" is not a bundled region (us-east-1, us-west-2, eu-west-1)\n');
    expect((await tenon(["-o", "yaml"])).code).toBe(2);
    expect((await tenon(["--reserved-enis", "x"])).code).toBe(2);
  });

  it("passes controller options on", async () => {
    const [m5] = jsonOf(await tenon(["-o", "json", "--filter", "instance-type=m5.large", "--reserved-enis", "1", "--vm-memory-overhead-percent", "0.05"]));
    expect(m5!.allocatable).toMatchObject({ pods: "20", memory: "7108Mi" });
  });

  it("notes the us-east-1 price fallback in other regions", async () => {
    const run = await tenon(["-o", "json", "--region", "eu-west-1", "--filter", "instance-type=m5.large"]);
    expect(run.err).toContain("using us-east-1 prices for eu-west-1");
  });
});

describe("--nodeclass", () => {
  const dir = mkdtempSync(join(tmpdir(), "tenon-instance-types-"));
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  const nodeClassYaml = (kubelet: string, status = "") => `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: KarpenterNodeRole
  amiSelectorTerms:
    - alias: al2023@latest
  subnetSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
  securityGroupSelectorTerms:
    - tags: {karpenter.sh/discovery: demo}
  kubelet:
${kubelet}
${status}`;

  it("sizes nodes with the NodeClass's kubelet and limits zones to its subnets", async () => {
    const file = write(
      "nc.yaml",
      nodeClassYaml(
        "    maxPods: 20\n    systemReserved: {cpu: 100m}",
        "status:\n  subnets:\n    - {id: subnet-1, zone: us-east-1b, zoneID: use1-az4}\n",
      ),
    );
    const [m5] = jsonOf(await tenon(["-o", "json", "--nodeclass", file, "--filter", "instance-type=m5.large"], dir));
    expect(m5!.allocatable).toMatchObject({ pods: "20", cpu: "1830m", memory: "6903Mi" });
    expect(new Set((m5!.offerings as Array<{ zone: string }>).map((o) => o.zone))).toEqual(new Set(["us-east-1b"]));
  });

  it("uses the subnets' zone ids, since zone names differ between accounts", async () => {
    // In the bundled map use1-az3 is us-east-1e, where m5.large is not offered.
    const file = write("nc-ids.yaml", nodeClassYaml("    maxPods: 20", "status:\n  subnets:\n    - {id: subnet-1, zone: us-east-1a, zoneID: use1-az3}\n    - {id: subnet-2, zone: us-east-1b, zoneID: use1-az2}\n"));
    const [m5] = jsonOf(await tenon(["-o", "json", "--nodeclass", file, "--filter", "instance-type=m5.large"], dir));
    expect(new Set((m5!.offerings as Array<{ zone: string; zoneId: string }>).map((o) => `${o.zone}/${o.zoneId}`))).toEqual(new Set(["us-east-1b/use1-az2"]));
  });

  it("reports a bad NodeClass or a missing file with exit 2", async () => {
    const bad = write("bad.yaml", nodeClassYaml("    kubeReserved: {memory: lots}"));
    const run = await tenon(["--nodeclass", bad], dir);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/EC2NodeClass default/);
    expect(run.err).not.toMatch(/\n\s+at /);
    const missing = await tenon(["--nodeclass", "nope.yaml"], dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("nope.yaml");
    const none = await tenon(["--nodeclass", write("empty.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n")], dir);
    expect(none).toMatchObject({ code: 2, err: "error: file empty.yaml: expected exactly one EC2NodeClass document, found 0\n" });
  });
});
