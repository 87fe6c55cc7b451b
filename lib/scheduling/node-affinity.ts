/** A pod's node constraints from nodeSelector and node affinity, with aliased label keys normalized. */
import { normalizeLabelKey } from "../api/labels.ts";
import type { NodeSelectorTerm, Pod } from "../api/kubernetes.ts";
import { Requirements } from "../requirements/index.ts";

export interface PodNodeConstraints {
  /** nodeSelector (and volume topology, added by the caller): always required. */
  base: Requirements;
  /** Required node affinity terms (OR); empty when the pod has none. Tried in order. */
  requiredTerms: Requirements[];
  /** Preferred node affinity terms, heaviest first (ties keep spec order). */
  preferredTerms: Requirements[];
}

function termRequirements(term: NodeSelectorTerm): Requirements {
  // matchFields only supports metadata.name, which no node that is yet to be created has.
  return Requirements.fromNodeSelector(term.matchExpressions ?? [], normalizeLabelKey);
}

export function podNodeConstraints(pod: Pod): PodNodeConstraints {
  const base = Requirements.fromLabels(pod.spec.nodeSelector, normalizeLabelKey);
  const na = pod.spec.affinity?.nodeAffinity;
  const requiredTerms = (na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).map(termRequirements);
  const preferred = (na?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
    .map((p, i) => ({ weight: p.weight, i, reqs: termRequirements(p.preference) }))
    .sort((a, b) => b.weight - a.weight || a.i - b.i);
  return { base, requiredTerms, preferredTerms: preferred.map((p) => p.reqs) };
}
