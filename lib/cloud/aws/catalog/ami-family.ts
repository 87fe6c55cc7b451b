/**
 * The parts of an AMI family that change a node's size: where ephemeral storage lives, how pods
 * are counted, and which OS the node runs. Values follow Karpenter's per-family rules
 * (design/karpenter-aws.md §1.1-§1.2).
 */
import type { AMIFamily } from "../../../api/types.ts";

export interface AmiFamilyRules {
  family: AMIFamily;
  os: "linux" | "windows";
  /** Default pods come from the ENI limit; otherwise 110. */
  eniLimitedPods: boolean;
  /** kube-reserved memory uses the ENI-limited pod count (reserved ENIs ignored) instead of the final one. */
  eniLimitedMemoryOverhead: boolean;
  podsPerCoreEnabled: boolean;
  /** Device whose volume is the node's ephemeral storage, and its default size in bytes. */
  ephemeralDevice: string;
  defaultEphemeralBytes: number;
  /** `node.kubernetes.io/windows-build` value. */
  windowsBuild?: string;
}

const GI = 1024 ** 3;

const LINUX_EKS: Omit<AmiFamilyRules, "family"> = {
  os: "linux",
  eniLimitedPods: true,
  eniLimitedMemoryOverhead: true,
  podsPerCoreEnabled: true,
  ephemeralDevice: "/dev/xvda",
  defaultEphemeralBytes: 20 * GI,
};

function windows(build: string): Omit<AmiFamilyRules, "family"> {
  return {
    os: "windows",
    eniLimitedPods: false,
    eniLimitedMemoryOverhead: false,
    podsPerCoreEnabled: true,
    ephemeralDevice: "/dev/sda1",
    defaultEphemeralBytes: 50 * GI,
    windowsBuild: build,
  };
}

const RULES: Record<AMIFamily, Omit<AmiFamilyRules, "family">> = {
  AL2: LINUX_EKS,
  AL2023: LINUX_EKS,
  Custom: LINUX_EKS,
  // Bottlerocket keeps a 4Gi OS volume on /dev/xvda and a 20Gi data volume on /dev/xvdb.
  Bottlerocket: { ...LINUX_EKS, eniLimitedMemoryOverhead: false, podsPerCoreEnabled: false, ephemeralDevice: "/dev/xvdb" },
  Windows2019: windows("10.0.17763"),
  Windows2022: windows("10.0.20348"),
  Windows2025: windows("10.0.26100"),
};

export function amiFamilyRules(family: AMIFamily): AmiFamilyRules {
  return { family, ...(RULES[family] ?? LINUX_EKS) };
}
