/**
 * Choosing among the images a NodeClass's amiSelectorTerms found: for each distinct set of
 * requirements the newest non-deprecated image wins (a deprecated one only when nothing else is
 * left), and an instance type boots the newest image whose requirements its labels satisfy.
 */
import type { ResolvedAmi } from "../../ports/cloud.ts";
import type { InstanceType } from "../../ports/instance-type.ts";
import { labelsSatisfy } from "../../requirements/node-selector.ts";
import { typeLabels } from "./requirements.ts";

function requirementsKey(ami: ResolvedAmi): string {
  return JSON.stringify(
    [...ami.requirements]
      .map((r) => ({ k: r.key, o: r.operator, v: [...(r.values ?? [])].sort() }))
      .sort((a, b) => (a.k + a.o).localeCompare(b.k + b.o)),
  );
}

function newerFirst(a: ResolvedAmi, b: ResolvedAmi): number {
  const byDate = (b.creationDate ?? "").localeCompare(a.creationDate ?? "");
  return byDate !== 0 ? byDate : a.id.localeCompare(b.id);
}

export function selectNewestAmis(candidates: ResolvedAmi[]): ResolvedAmi[] {
  const groups = new Map<string, ResolvedAmi[]>();
  for (const ami of candidates) {
    const key = requirementsKey(ami);
    groups.set(key, [...(groups.get(key) ?? []), ami]);
  }
  const chosen: ResolvedAmi[] = [];
  for (const group of groups.values()) {
    const live = group.filter((a) => !a.deprecated).sort(newerFirst);
    chosen.push((live[0] ?? [...group].sort(newerFirst)[0])!);
  }
  return chosen.sort(newerFirst);
}

/** The image a type would boot, or undefined when no image's requirements fit the type. */
export function amiForType(amis: ResolvedAmi[], type: InstanceType): ResolvedAmi | undefined {
  const labels = typeLabels(type);
  return [...amis].sort(newerFirst).find((ami) => labelsSatisfy(labels, ami.requirements));
}
