import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { al2023UserData } from "../../../lib/cloud/aws/userdata/al2023.ts";
import { bottlerocketUserData } from "../../../lib/cloud/aws/userdata/bottlerocket.ts";
import type { BootstrapInput } from "../../../lib/cloud/aws/userdata/common.ts";
import { renderUserDataBase64 } from "../../../lib/cloud/aws/userdata/index.ts";
import { parseMime } from "../../../lib/cloud/aws/userdata/mime.ts";
import { kubeletMaySetLabel } from "../../../lib/cloud/aws/userdata/node-labels.ts";
import { parseToml, stringifyToml, type TomlTable } from "../../../lib/cloud/aws/userdata/toml.ts";

const base: BootstrapInput = {
  clusterName: "prod",
  cluster: { endpoint: "https://api.prod.example", certificateAuthority: "Q0FEQVRB", serviceCidr: "172.20.0.0/16", dnsIp: "172.20.0.10" },
  maxPods: 29,
  labels: { "karpenter.sh/nodepool": "default", team: "web", "kubernetes.io/hostname": "x", "node-role.kubernetes.io/worker": "", "node.kubernetes.io/lifecycle": "x", "example.k8s.io/x": "y" },
  capacityType: "spot",
  taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }],
  startupTaints: [{ key: "cilium.io/agent-not-ready", effect: "NoExecute" }],
};

interface NodeConfig {
  apiVersion: string;
  kind: string;
  spec: {
    cluster: Record<string, string>;
    kubelet: { config: Record<string, unknown>; flags: string[] };
    instance?: unknown;
  };
}

function ourNodeConfig(input: BootstrapInput): { parts: ReturnType<typeof parseMime>; config: NodeConfig } {
  const parts = parseMime(al2023UserData(input));
  return { parts, config: parseYaml(parts.at(-1)!.body) as NodeConfig };
}

describe("AL2023 user data", () => {
  it("is MIME multipart with boundary // whose last part is a NodeConfig for the cluster", () => {
    const text = al2023UserData(base);
    expect(text).toMatch(/^MIME-Version: 1.0\nContent-Type: multipart\/mixed; boundary="\/\/"\n/);
    const { parts, config } = ourNodeConfig(base);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.contentType).toBe("application/node.eks.aws");
    expect(config.apiVersion).toBe("node.eks.aws/v1alpha1");
    expect(config.kind).toBe("NodeConfig");
    expect(config.spec.cluster).toEqual({ name: "prod", apiServerEndpoint: "https://api.prod.example", certificateAuthority: "Q0FEQVRB", cidr: "172.20.0.0/16" });
  });

  it("writes maxPods, clusterDNS and the taints to register with, ending in karpenter.sh/unregistered", () => {
    const { config } = ourNodeConfig(base);
    expect(config.spec.kubelet.config).toEqual({
      maxPods: 29,
      clusterDNS: ["172.20.0.10"],
      registerWithTaints: [
        { key: "dedicated", value: "web", effect: "NoSchedule" },
        { key: "cilium.io/agent-not-ready", effect: "NoExecute" },
        { key: "karpenter.sh/unregistered", effect: "NoExecute" },
      ],
    });
  });

  it("passes the NodeClass kubelet settings through, its clusterDNS winning over the cluster's", () => {
    const { config } = ourNodeConfig({ ...base, kubelet: { clusterDNS: ["10.0.0.10"], kubeReserved: { cpu: "100m" }, systemReserved: { memory: "100Mi" }, evictionHard: { "memory.available": "5%" }, maxPods: 50 } });
    expect(config.spec.kubelet.config).toMatchObject({ clusterDNS: ["10.0.0.10"], kubeReserved: { cpu: "100m" }, systemReserved: { memory: "100Mi" }, evictionHard: { "memory.available": "5%" }, maxPods: 29 });
  });

  it("labels the node with its capacity type and strips labels the kubelet may not set", () => {
    const { config } = ourNodeConfig(base);
    expect(config.spec.kubelet.flags).toEqual([
      '--node-labels="karpenter.sh/capacity-type=spot,karpenter.sh/do-not-sync-taints=true,karpenter.sh/nodepool=default,kubernetes.io/hostname=x,node.kubernetes.io/lifecycle=x,team=web"',
    ]);
    expect(kubeletMaySetLabel("node-role.kubernetes.io/worker")).toBe(false);
    expect(kubeletMaySetLabel("example.k8s.io/x")).toBe(false);
    expect(kubeletMaySetLabel("topology.kubernetes.io/zone")).toBe(true);
    expect(kubeletMaySetLabel("karpenter.k8s.aws/instance-family")).toBe(true);
  });

  it("puts a user's shell script first and keeps a user's MIME parts in order before ours", () => {
    const script = ourNodeConfig({ ...base, userData: "#!/bin/bash\necho hi" });
    expect(script.parts.map((p) => p.contentType)).toEqual(['text/x-shellscript; charset="us-ascii"', "application/node.eks.aws"]);
    expect(script.parts[0]!.body).toBe("#!/bin/bash\necho hi");
    const userMime = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n--BOUNDARY\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    config:\n      shutdownGracePeriod: 30s\n--BOUNDARY\nContent-Type: text/x-shellscript\n\necho two\n--BOUNDARY--\n';
    const mime = ourNodeConfig({ ...base, userData: userMime });
    expect(mime.parts.map((p) => p.contentType)).toEqual(["application/node.eks.aws", "text/x-shellscript", "application/node.eks.aws"]);
    expect((parseYaml(mime.parts[0]!.body) as NodeConfig).spec.kubelet.config).toEqual({ shutdownGracePeriod: "30s" });
    expect(mime.parts[1]!.body).toBe("echo two");
  });

  it("asks nodeadm for RAID0 local storage when the NodeClass does", () => {
    expect(ourNodeConfig({ ...base, instanceStorePolicy: "RAID0" }).config.spec.instance).toEqual({ localStorage: { strategy: "RAID0" } });
  });
});

describe("Bottlerocket user data", () => {
  it("writes the cluster, kubelet, labels and taints under settings.kubernetes", () => {
    const settings = parseToml(bottlerocketUserData({ ...base, kubelet: { kubeReserved: { cpu: "100m" }, evictionHard: { "memory.available": "5%" }, imageGCHighThresholdPercent: 80 } }));
    const k8s = (settings.settings as TomlTable).kubernetes as TomlTable;
    expect(k8s).toMatchObject({
      "api-server": "https://api.prod.example",
      "cluster-certificate": "Q0FEQVRB",
      "cluster-name": "prod",
      "cluster-dns-ip": "172.20.0.10",
      "max-pods": 29,
      "kube-reserved": { cpu: "100m" },
      "eviction-hard": { "memory.available": "5%" },
      "image-gc-high-threshold-percent": 80,
    });
    expect(k8s["node-labels"]).toEqual({
      "karpenter.sh/capacity-type": "spot", "karpenter.sh/do-not-sync-taints": "true", "karpenter.sh/nodepool": "default",
      "kubernetes.io/hostname": "x", "node.kubernetes.io/lifecycle": "x", team: "web",
    });
    expect(k8s["node-taints"]).toEqual({ dedicated: ["web:NoSchedule"], "cilium.io/agent-not-ready": [":NoExecute"], "karpenter.sh/unregistered": [":NoExecute"] });
  });

  it("keeps the user's settings and overwrites the keys Tenon owns", () => {
    const user = '[settings.kubernetes]\ncluster-name = "wrong"\nallowed-unsafe-sysctls = ["net.core.somaxconn"]\n\n[settings.kubernetes.node-labels]\nteam = "mine"\nextra = "kept"\n\n[settings.host-containers.admin]\nenabled = true\n';
    const settings = parseToml(bottlerocketUserData({ ...base, userData: user }));
    const s = settings.settings as TomlTable;
    const k8s = s.kubernetes as TomlTable;
    expect(k8s["cluster-name"]).toBe("prod");
    expect(k8s["allowed-unsafe-sysctls"]).toEqual(["net.core.somaxconn"]);
    expect((k8s["node-labels"] as TomlTable).extra).toBe("kept");
    expect((k8s["node-labels"] as TomlTable).team).toBe("web");
    expect(s["host-containers"]).toEqual({ admin: { enabled: true } });
  });

  it("is read the same by an independent TOML parser (Python's tomllib)", () => {
    const text = bottlerocketUserData({ ...base, kubelet: { kubeReserved: { cpu: "100m" }, cpuCFSQuota: false }, userData: '[settings.host-containers.admin]\nenabled = true\n' });
    const python = spawnSync("python3", ["-c", "import json,sys,tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))"], { input: text, encoding: "utf8" });
    expect(python.stderr).toBe("");
    expect(JSON.parse(python.stdout)).toEqual(JSON.parse(JSON.stringify(parseToml(text))));
  });

  it("rejects user data that is not TOML with the field and line", () => {
    expect(() => bottlerocketUserData({ ...base, userData: "[settings\nx = 1" })).toThrow(/spec\.userData: not valid Bottlerocket TOML: TOML line 1/);
  });

  it("is base64 in the launch template", () => {
    const b64 = renderUserDataBase64("Bottlerocket", base);
    expect(parseToml(Buffer.from(b64, "base64").toString("utf8"))).toEqual(parseToml(bottlerocketUserData(base)));
  });
});

describe("TOML", () => {
  it("reads dotted and quoted keys, inline tables, literal strings, numbers and multi-line arrays", () => {
    const doc = parseToml([
      "# comment",
      'a.b = 1',
      "c = 'lit\\eral'",
      'd = { e = true, "f.g" = 2.5 }',
      "h = [",
      '  "x", # trailing',
      '  "y",',
      "]",
      '[t."k.with.dots"]',
      'u = "\\u00e9\\n"',
    ].join("\n"));
    expect(doc).toEqual({ a: { b: 1 }, c: "lit\\eral", d: { e: true, "f.g": 2.5 }, h: ["x", "y"], t: { "k.with.dots": { u: "é\n" } } });
  });

  it("rejects a key defined twice", () => {
    expect(() => parseToml("a = 1\na = 2")).toThrow(/defined twice/);
  });

  it("reads back what it writes (property)", () => {
    const key = fc.string({ minLength: 1, maxLength: 8 });
    const scalar = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean());
    const leaf = fc.oneof(scalar, fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }));
    const table = fc.letrec((tie) => ({
      table: fc.dictionary(key, fc.oneof({ depthSize: "small" }, leaf, tie("table")), { maxKeys: 4 }),
    })).table as fc.Arbitrary<TomlTable>;
    fc.assert(fc.property(table, (t) => {
      const clean = JSON.parse(JSON.stringify(t)) as TomlTable;
      expect(parseToml(stringifyToml(clean))).toEqual(clean);
    }), { numRuns: 200 });
  });
});
