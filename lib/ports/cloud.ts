/**
 * The Cloud port: everything the provisioner, lifecycle, garbage-collection and interruption code
 * needs from the cloud. The real adapter is lib/cloud/aws/ (EC2, SSM, Pricing); the in-memory one is
 * lib/cloud/in-memory/. Both pass the same behavioural suite (test/cloud/cloud-contract.ts).
 */
import type { Condition, EC2NodeClass, NodeSelectorRequirement, Taint } from "../api/types.ts";
import type { CapacityType, InstanceType } from "./instance-type.ts";
import type { OfferingKey } from "./unavailable-offerings.ts";

export interface ResolvedSubnet {
  id: string;
  zone: string;
  zoneId?: string;
  /** Free IPv4 addresses, as the cloud last reported them. */
  availableIps: number;
}

export interface ResolvedSecurityGroup {
  id: string;
  name?: string;
}

export interface ResolvedAmi {
  id: string;
  name?: string;
  /** Which instance types may use this image (architecture, GPU/accelerator variant). */
  requirements: NodeSelectorRequirement[];
  /** ISO timestamp; the newest image wins among equal requirements. */
  creationDate?: string;
  deprecated?: boolean;
}

/** An active capacity reservation a NodeClass selected (`status.capacityReservations` in Karpenter). */
export interface ResolvedCapacityReservation {
  id: string;
  instanceType: string;
  zone: string;
  zoneId?: string;
  ownerId: string;
  /** `open` reservations also take matching untargeted launches; `targeted` ones only launches aimed at them. */
  instanceMatchCriteria: "open" | "targeted";
  /** Instances the reservation can still start, as EC2 last reported it less launches made since. */
  availableInstances: number;
  totalInstances: number;
  /** Milliseconds since the epoch; absent for a reservation without an end date. */
  endTimeMs?: number;
}

/** The NodeClass after its selectors were looked up: Karpenter's `status` block plus readiness. */
export interface ResolvedNodeClass {
  name: string;
  subnets: ResolvedSubnet[];
  securityGroups: ResolvedSecurityGroup[];
  amis: ResolvedAmi[];
  instanceProfile?: string;
  /** Active reservations matched by `capacityReservationSelectorTerms`; they become `reserved` offerings. */
  capacityReservations?: ResolvedCapacityReservation[];
  /** SubnetsReady, SecurityGroupsReady, AMIsReady, InstanceProfileReady and Ready. */
  conditions: Condition[];
  /** False when any condition is not True; nothing launches from a NodeClass that is not ready. */
  ready: boolean;
}

export interface LaunchRequest {
  nodeClaimName: string;
  /** With the name, the source of the idempotency token: a retried launch never makes a second instance. */
  nodeClaimUid: string;
  nodePoolName: string;
  nodeClass: EC2NodeClass;
  /** The NodeClaim's requirements (capacity type, zone, arch ... narrowed by the scheduler). */
  requirements: NodeSelectorRequirement[];
  /** Candidate types from the scheduler, in its order of preference. */
  instanceTypes: InstanceType[];
  labels: Record<string, string>;
  taints: Taint[];
  startupTaints: Taint[];
  /** The NodeClaim's resource requests (`spec.resources.requests`): an EFA request attaches EFA interfaces. */
  requests?: Record<string, string>;
}

export type InstanceState = "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";

export interface CloudInstance {
  /** `aws:///<zone>/<instance-id>` */
  providerId: string;
  instanceId: string;
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
  imageId: string;
  /** The subnet the instance was launched in (what its EC2NodeClass resolved to at launch). */
  subnetId?: string;
  /** Its security groups, sorted. */
  securityGroupIds?: string[];
  /** Milliseconds since the epoch. */
  launchTimeMs: number;
  state: InstanceState;
  tags: Record<string, string>;
  /** From the `karpenter.sh/nodeclaim` tag, when present. */
  nodeClaimName?: string;
  nodePoolName?: string;
}

/** One offering the cloud refused, and why (an EC2 error code such as InsufficientInstanceCapacity). */
export interface OfferingFailure {
  offering: OfferingKey;
  code: string;
  message: string;
}

/** No offering of the launch could be fulfilled. Every failed offering has been marked unavailable. */
export class InsufficientCapacityError extends Error {
  readonly failures: OfferingFailure[];
  constructor(nodeClaimName: string, failures: OfferingFailure[], detail?: string) {
    const summary = failures
      .slice(0, 10)
      .map((f) => `${f.offering.capacityType}/${f.offering.instanceType}/${f.offering.zone}: ${f.code}`)
      .join(", ");
    const more = failures.length > 10 ? ` and ${failures.length - 10} more` : "";
    super(`NodeClaim ${nodeClaimName}: insufficient capacity${detail ? ` (${detail})` : ""}${summary ? `: ${summary}${more}` : ""}`);
    this.name = "InsufficientCapacityError";
    this.failures = failures;
  }
}

/** The NodeClass can't be used (not ready, or no launch option survives its filters). Not retryable as-is. */
export class NodeClassNotReadyError extends Error {
  constructor(nodeClassName: string, reason: string) {
    super(`EC2NodeClass ${nodeClassName}: not ready: ${reason}`);
    this.name = "NodeClassNotReadyError";
  }
}

export interface Cloud {
  /** Look up subnets, security groups, AMIs and instance profile; cached briefly. */
  resolveNodeClass(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass>;
  /** Catalog types for the NodeClass, with live prices and unavailable offerings applied. */
  instanceTypes(nodeClass: EC2NodeClass): Promise<InstanceType[]>;
  /** Launch one instance for a NodeClaim; idempotent per NodeClaim. Throws InsufficientCapacityError. */
  create(request: LaunchRequest): Promise<CloudInstance>;
  /** Undefined when the instance does not exist or is terminated. */
  get(instanceId: string): Promise<CloudInstance | undefined>;
  /** Instances tagged for this cluster, in states pending .. shutting-down. */
  list(): Promise<CloudInstance[]>;
  /** Terminate; an instance that is already gone counts as success. */
  delete(instanceId: string): Promise<void>;
  /**
   * Deletes this cluster's launch templates that no entry of `inUse` names (by template name or by
   * EC2 id, as in an instance's `aws:ec2launchtemplate:id` tag) and that are at least `graceMs`
   * old; returns the deleted names. Optional: a cloud without launch templates has none to delete.
   */
  cleanupLaunchTemplates?(inUse: ReadonlySet<string>, graceMs: number): Promise<string[]>;
  /** Deletes the instance profiles made for NodeClasses not in `keep`; returns their names. Optional, as above. */
  cleanupInstanceProfiles?(keep: ReadonlySet<string>): Promise<string[]>;
}

/** EC2 puts this tag on every instance launched from a launch template; its value is the template's id. */
export const TAG_LAUNCH_TEMPLATE_ID = "aws:ec2launchtemplate:id";
/**
 * Every launched instance carries its EC2NodeClass's name under this tag (lib/cloud/aws/tags.ts sets
 * it). Tenon's own key: Karpenter's (`karpenter.k8s.aws/ec2nodeclass`) would make the instance Karpenter's.
 */
export const TAG_NODECLASS = "tenon.sh/ec2nodeclass";

export function providerIdFor(zone: string, instanceId: string): string {
  return `aws:///${zone}/${instanceId}`;
}

/** The instance id in `aws:///<zone>/<id>`, or undefined when the string is not such an id. */
export function instanceIdFromProviderId(providerId: string): string | undefined {
  const match = /^aws:\/\/\/[^/]+\/(i-[0-9a-zA-Z]+)$/.exec(providerId);
  return match?.[1];
}
