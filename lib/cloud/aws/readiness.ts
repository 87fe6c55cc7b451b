/**
 * NodeClass readiness as Karpenter reports it: one condition per resolved part, and Ready only when
 * all are True. A NodeClass that is not Ready launches nothing.
 */
import type { Condition } from "../../api/types.ts";
import type { ResolvedAmi, ResolvedSecurityGroup, ResolvedSubnet } from "../../ports/cloud.ts";

export interface ReadinessInput {
  subnets: ResolvedSubnet[];
  securityGroups: ResolvedSecurityGroup[];
  amis: ResolvedAmi[];
  instanceProfile?: string;
  /** Why a part could not be resolved (an API error, a bad alias), keyed by condition type. */
  problems: Partial<Record<ConditionType, string>>;
  nowIso: string;
}

export type ConditionType = "SubnetsReady" | "SecurityGroupsReady" | "AMIsReady" | "InstanceProfileReady" | "ValidationSucceeded";

function condition(type: string, ok: boolean, reason: string, message: string, nowIso: string): Condition {
  return { type, status: ok ? "True" : "False", reason: ok ? type : reason, message: ok ? "" : message, lastTransitionTime: nowIso };
}

export function readinessConditions(input: ReadinessInput): { conditions: Condition[]; ready: boolean } {
  const { problems, nowIso } = input;
  const parts: Condition[] = [
    condition("SubnetsReady", !problems.SubnetsReady && input.subnets.length > 0, "SubnetsNotFound",
      problems.SubnetsReady ?? "SubnetSelector did not match any Subnets", nowIso),
    condition("SecurityGroupsReady", !problems.SecurityGroupsReady && input.securityGroups.length > 0, "SecurityGroupsNotFound",
      problems.SecurityGroupsReady ?? "SecurityGroupSelector did not match any SecurityGroups", nowIso),
    condition("AMIsReady", !problems.AMIsReady && input.amis.length > 0, "AMINotFound",
      problems.AMIsReady ?? "AMISelector did not match any AMIs", nowIso),
    condition("InstanceProfileReady", !problems.InstanceProfileReady && !!input.instanceProfile, "InstanceProfileNotFound",
      problems.InstanceProfileReady ?? "no instance profile", nowIso),
    condition("ValidationSucceeded", !problems.ValidationSucceeded, "ValidationFailed", problems.ValidationSucceeded ?? "", nowIso),
  ];
  const notReady = parts.filter((c) => c.status !== "True");
  const ready = notReady.length === 0;
  parts.push({
    type: "Ready",
    status: ready ? "True" : "False",
    reason: ready ? "Ready" : "UnhealthyDependents",
    message: notReady.map((c) => `${c.type}=False (${c.message})`).join("; "),
    lastTransitionTime: nowIso,
  });
  return { conditions: parts, ready };
}

/** One line naming what keeps the NodeClass from being ready. */
export function notReadyReason(conditions: Condition[]): string {
  return conditions.find((c) => c.type === "Ready")?.message || "not ready";
}
