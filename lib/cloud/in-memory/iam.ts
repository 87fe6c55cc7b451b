/**
 * The simulated account's IAM, as far as instance profiles go: the same names, path, tags, role
 * replacement and clean-up rules as lib/cloud/aws/instance-profile.ts, on the world's maps.
 */
import {
  instanceProfileName,
  instanceProfilePath,
  instanceProfileTags,
  orphanedProfiles,
  profileChange,
  RoleNotFoundError,
  roleNameOf,
  type InstanceProfileScope,
} from "../aws/instance-profile.ts";
import { isManagedBy } from "../aws/tags.ts";
import type { SimInstanceProfile, SimWorld } from "./world.ts";

export function ensureSimInstanceProfile(world: SimWorld, scope: InstanceProfileScope, nodeClassName: string, role: string): string {
  const name = instanceProfileName(scope, nodeClassName);
  const roleName = roleNameOf(role);
  const tags = instanceProfileTags(scope, nodeClassName);
  const profiles = (world.instanceProfiles ??= new Map<string, SimInstanceProfile>());
  let profile = profiles.get(name);
  if (!profile) {
    profile = { name, path: instanceProfilePath(scope), roles: [], tags: { ...tags } };
    profiles.set(name, profile);
  }
  const change = profileChange(profile, roleName, tags);
  profile.roles = profile.roles.filter((r) => !change.remove.includes(r));
  if (change.add) {
    if (!world.roles?.has(roleName)) throw new RoleNotFoundError(role);
    profile.roles.push(roleName);
  }
  Object.assign(profile.tags, change.tags);
  return name;
}

export function cleanupSimInstanceProfiles(world: SimWorld, scope: InstanceProfileScope, keep: ReadonlySet<string>): string[] {
  const profiles = world.instanceProfiles ?? new Map<string, SimInstanceProfile>();
  // Like the adapter: only profiles that carry Tenon's ownership tag for this cluster.
  const doomed = orphanedProfiles(scope, [...profiles.values()], keep).filter((name) => isManagedBy(profiles.get(name)?.tags ?? {}, scope.clusterName));
  for (const name of doomed) profiles.delete(name);
  return doomed;
}
