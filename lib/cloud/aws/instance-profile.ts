/**
 * The IAM instance profile Tenon makes for an EC2NodeClass that names a `role` (karpenter-aws.md
 * §5.2). One profile per (cluster, region, NodeClass), named deterministically so every function
 * finds the same one without keeping state: `<cluster>_<hash>` under `/tenon/<region>/<cluster>/`.
 * Finding, creating, re-pointing to a changed role and deleting orphans are all idempotent, so
 * concurrent functions may race on them.
 */
import { createHash } from "node:crypto";
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  DeleteInstanceProfileCommand,
  GetInstanceProfileCommand,
  ListInstanceProfilesCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagInstanceProfileCommand,
  type IAMClient,
  type InstanceProfile,
} from "@aws-sdk/client-iam";
import { LABEL_REGION } from "../../api/labels.ts";
import { clusterOwnershipTag, isManagedBy, TAG_EKS_CLUSTER, TAG_MANAGED_BY, TAG_NODECLASS } from "./tags.ts";

export interface InstanceProfileScope {
  clusterName: string;
  region: string;
}

/** Every profile of one cluster lives under this path; clean-up lists only it. */
export function instanceProfilePath(scope: InstanceProfileScope): string {
  return `/tenon/${scope.region}/${scope.clusterName}/`;
}

/** `<cluster>_<16 hex>`: at most 117 characters for a 100-character cluster name (IAM allows 128). */
export function instanceProfileName(scope: InstanceProfileScope, nodeClassName: string): string {
  const hash = createHash("sha256").update(`${scope.region}\0${scope.clusterName}\0${nodeClassName}`).digest("hex").slice(0, 16);
  return `${scope.clusterName}_${hash}`;
}

export function instanceProfileTags(scope: InstanceProfileScope, nodeClassName: string): Record<string, string> {
  return {
    [clusterOwnershipTag(scope.clusterName)]: "owned",
    [TAG_MANAGED_BY]: scope.clusterName,
    [TAG_EKS_CLUSTER]: scope.clusterName,
    [TAG_NODECLASS]: nodeClassName,
    [LABEL_REGION]: scope.region,
  };
}

/** `spec.role` may be a role name or its ARN (`arn:aws:iam::<acct>:role/<path>/<name>`); IAM wants the name. */
export function roleNameOf(role: string): string {
  return role.startsWith("arn:") ? role.slice(role.lastIndexOf("/") + 1) : role;
}

/** A role named by the NodeClass that IAM does not know: the NodeClass is not ready, and this says why. */
export class RoleNotFoundError extends Error {
  constructor(role: string) {
    super(`role "${role}" does not exist in IAM`);
    this.name = "RoleNotFoundError";
  }
}

export interface ProfileChange {
  /** Roles to take out of the profile before adding ours (a profile holds at most one role). */
  remove: string[];
  add: boolean;
  /** Tags the profile is missing or has with another value. */
  tags: Record<string, string>;
}

/** What must change on an existing profile so that it holds exactly `role` and carries `tags`. */
export function profileChange(current: { roles: string[]; tags: Record<string, string> }, role: string, tags: Record<string, string>): ProfileChange {
  const missingTags = Object.fromEntries(Object.entries(tags).filter(([k, v]) => current.tags[k] !== v));
  return { remove: current.roles.filter((r) => r !== role), add: !current.roles.includes(role), tags: missingTags };
}

/** Names of this cluster's profiles whose NodeClass is not in `keep`. */
export function orphanedProfiles(scope: InstanceProfileScope, existing: Array<{ name: string; path: string }>, keep: ReadonlySet<string>): string[] {
  const wanted = new Set([...keep].map((n) => instanceProfileName(scope, n)));
  const path = instanceProfilePath(scope);
  return existing.filter((p) => p.path === path && p.name.startsWith(`${scope.clusterName}_`) && !wanted.has(p.name)).map((p) => p.name).sort();
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? "";
}

function tagMap(profile: InstanceProfile): Record<string, string> {
  return Object.fromEntries((profile.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ""]));
}

export class InstanceProfiles {
  constructor(private readonly iam: IAMClient, private readonly scope: InstanceProfileScope) {}

  private async get(name: string): Promise<InstanceProfile | undefined> {
    try {
      return (await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
    } catch (err) {
      if (errorName(err) === "NoSuchEntityException" || errorName(err) === "NoSuchEntity") return undefined;
      throw err;
    }
  }

  /** Finds or creates the NodeClass's profile and makes it hold `role`; returns the profile name. */
  async ensure(nodeClassName: string, role: string): Promise<string> {
    const name = instanceProfileName(this.scope, nodeClassName);
    const roleName = roleNameOf(role);
    const tags = instanceProfileTags(this.scope, nodeClassName);
    let profile = await this.get(name);
    if (!profile) {
      try {
        await this.iam.send(new CreateInstanceProfileCommand({
          InstanceProfileName: name, Path: instanceProfilePath(this.scope), Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }));
      } catch (err) {
        // Another function created it first; carry on with theirs.
        if (errorName(err) !== "EntityAlreadyExistsException" && errorName(err) !== "EntityAlreadyExists") throw err;
      }
      profile = await this.get(name);
    }
    // IAM is eventually consistent: a profile just made may not be readable yet, but it is empty and tagged.
    const current = profile ? { roles: (profile.Roles ?? []).map((r) => r.RoleName ?? ""), tags: tagMap(profile) } : { roles: [], tags };
    const change = profileChange(current, roleName, tags);
    // Tags first: an IAM policy may allow role changes only on profiles tagged for this cluster.
    if (Object.keys(change.tags).length > 0) {
      await this.iam.send(new TagInstanceProfileCommand({ InstanceProfileName: name, Tags: Object.entries(change.tags).map(([Key, Value]) => ({ Key, Value })) }));
    }
    for (const old of change.remove) {
      try {
        await this.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: old }));
      } catch (err) {
        if (!errorName(err).startsWith("NoSuchEntity")) throw err;
      }
    }
    if (change.add) {
      try {
        await this.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
      } catch (err) {
        if (errorName(err).startsWith("NoSuchEntity")) throw new RoleNotFoundError(role);
        // A concurrent function added a role between our read and our add: fine if it is ours.
        if (!errorName(err).startsWith("LimitExceeded")) throw err;
        const now = await this.get(name);
        if (!(now?.Roles ?? []).some((r) => r.RoleName === roleName)) throw err;
      }
    }
    return name;
  }

  /**
   * Deletes this cluster's profiles whose NodeClass is not in `keep` (pass the NodeClasses that
   * exist or still have instances: a profile in use by a live instance must stay). Only profiles
   * that carry Tenon's ownership tag for this cluster: IAM's list does not return tags, so each
   * candidate is read first. Returns the deleted profiles' names.
   */
  async cleanup(keep: ReadonlySet<string>): Promise<string[]> {
    const found: InstanceProfile[] = [];
    let marker: string | undefined;
    do {
      const page = await this.iam.send(new ListInstanceProfilesCommand({ PathPrefix: instanceProfilePath(this.scope), ...(marker ? { Marker: marker } : {}) }));
      found.push(...(page.InstanceProfiles ?? []));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    const candidates = orphanedProfiles(this.scope, found.map((p) => ({ name: p.InstanceProfileName ?? "", path: p.Path ?? "" })), keep);
    const deleted: string[] = [];
    for (const name of candidates) {
      const profile = await this.get(name);
      if (!profile || !isManagedBy(tagMap(profile), this.scope.clusterName)) continue;
      try {
        for (const r of profile.Roles ?? []) {
          await this.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: r.RoleName }));
        }
        await this.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
        deleted.push(name);
      } catch (err) {
        if (!errorName(err).startsWith("NoSuchEntity")) throw err;
      }
    }
    return deleted;
  }
}
