/**
 * Topology: pod topology spread, pod affinity and pod anti-affinity, counted per domain of a
 * topology key. Each distinct constraint is one TopologyGroup that counts the pods its selector
 * matches, per domain (already bound pods at the start, then each placement). A pod's own
 * constraints restrict which domains a node may be in; "inverse" groups carry the required
 * anti-affinity of other pods, which keeps matching pods away from those pods' domains.
 *
 * Counting is O(1) per placement and group; choosing a domain looks only at the domains of the
 * key (a few zones), never at pods. Hostname is special: every new node is a fresh domain with
 * count zero, so the spread minimum on hostname is always zero.
 */
import { LABEL_HOSTNAME, normalizeLabelKey } from "../api/labels.ts";
import type { Taint } from "../api/types.ts";
import type { Pod, PodAffinityTerm, Toleration, TopologySpreadConstraint } from "../api/kubernetes.ts";
import type { Requirement, Requirements, AllowUndefined } from "../requirements/index.ts";
import { compileSelector, type CompiledSelector } from "./label-selector.ts";
import { untoleratedTaint } from "./taints.ts";

export type TopologyKind = "spread" | "affinity" | "anti-affinity" | "inverse-anti-affinity";

/** Somewhere domains come from: a NodePool template or an existing node. */
export interface DomainSource {
  reqs: Requirements;
  allowUndefined?: AllowUndefined;
  taints: readonly Taint[];
  /** The values of `key` nodes from this source can have. */
  domains(key: string): readonly string[];
}

/** Where a pending pod was placed: an existing node or a claim being built. */
export interface PlacedOn {
  domain(key: string): string | undefined;
  reqs: Requirements;
  taints: readonly Taint[];
  allowUndefined?: AllowUndefined;
}

/** For spread: which nodes count, per nodeAffinityPolicy / nodeTaintsPolicy. */
export interface NodeFilter {
  reqs?: Requirements;
  tolerations?: readonly Toleration[];
}

export class TopologyGroup {
  readonly counts = new Map<string, number>();
  total = 0;
  /** Spread on a non-hostname key: the domains that count for the minimum (sorted). */
  eligible: string[] = [];

  constructor(
    readonly kind: TopologyKind,
    readonly key: string,
    /** null selects every namespace. */
    readonly namespaces: ReadonlySet<string> | null,
    readonly selector: CompiledSelector,
    readonly maxSkew: number,
    readonly minDomains: number,
    readonly filter: NodeFilter | undefined,
    readonly signature: string,
  ) {}

  selects(pod: Pod): boolean {
    if (this.namespaces && !this.namespaces.has(pod.metadata.namespace || "default")) return false;
    return this.selector.matches(pod.metadata.labels);
  }

  /** Whether a node with these requirements and taints counts for this group (spread policies). */
  nodeCounts(reqs: Requirements, taints: readonly Taint[], allowUndefined?: AllowUndefined): boolean {
    if (!this.filter) return true;
    if (this.filter.reqs && !reqs.isCompatible(this.filter.reqs, allowUndefined)) return false;
    if (this.filter.tolerations && untoleratedTaint(this.filter.tolerations, taints, true)) return false;
    return true;
  }

  record(domain: string): void {
    this.counts.set(domain, (this.counts.get(domain) ?? 0) + 1);
    this.total++;
  }

  count(domain: string): number {
    return this.counts.get(domain) ?? 0;
  }

  /** Whether some domain `req` allows (any, when undefined) already holds a pod this group counts. */
  anyCountedIn(req: Requirement | undefined): boolean {
    if (!req) return this.total > 0;
    for (const [d, c] of this.counts) if (c > 0 && req.has(d)) return true;
    return false;
  }

  private spreadMin(): number {
    if (this.key === LABEL_HOSTNAME) return 0; // a new node is always a domain with no pods
    if (this.eligible.length < this.minDomains) return 0;
    let min = Infinity;
    for (const d of this.eligible) {
      const c = this.counts.get(d) ?? 0;
      if (c < min) min = c;
    }
    return min === Infinity ? 0 : min;
  }

  /**
   * The domains among `candidates` (sorted by name) the pod may go to, most preferred first.
   * `selfSelecting`: the pod itself matches the selector (it adds to the count it is judged by).
   */
  allowed(candidates: readonly string[], selfSelecting: boolean): string[] {
    switch (this.kind) {
      case "spread": {
        const min = this.spreadMin();
        const self = selfSelecting ? 1 : 0;
        const ok = candidates.filter((d) => this.count(d) + self - min <= this.maxSkew);
        return ok.sort((a, b) => this.count(a) - this.count(b) || (a < b ? -1 : a > b ? 1 : 0));
      }
      case "affinity":
        // The first pod of a self-affine group seeds a domain wherever it lands.
        if (this.total === 0 && selfSelecting) return [...candidates];
        return candidates.filter((d) => this.count(d) > 0);
      default:
        return candidates.filter((d) => this.count(d) === 0);
    }
  }

  describe(): string {
    const what = this.kind === "spread" ? `topology spread on ${this.key} (maxSkew ${this.maxSkew})` : `${this.kind.replace("inverse-", "other pods' ")} on ${this.key}`;
    return what;
  }
}

/** A pod's topology constraints at one relaxation level. */
export interface PodTopologyTerms {
  spreads: TopologySpreadConstraint[];
  affinity: PodAffinityTerm[];
  antiAffinity: PodAffinityTerm[];
}

/** All topology groups of a scheduling run, deduplicated, with counts from bound pods. */
export class Topology {
  private readonly groups = new Map<string, TopologyGroup>();
  private readonly universe = new Map<string, string[]>();
  /** Inverse anti-affinity groups, in creation order. */
  readonly inverse: TopologyGroup[] = [];
  /** Groups by one `key=value` their selector requires (most selectors have one); the rest unindexed. */
  private readonly byLabel = new Map<string, TopologyGroup[]>();
  private readonly unindexed: TopologyGroup[] = [];
  private readonly inverseByLabel = new Map<string, TopologyGroup[]>();
  private readonly inverseUnindexed: TopologyGroup[] = [];
  /** Pending pods placed so far, replayed into groups created later in the run. */
  private readonly placed: Array<{ pod: Pod; on: PlacedOn }> = [];

  /** Changes whenever a group is added. */
  get generation(): number {
    return this.groups.size;
  }

  constructor(
    private readonly sources: readonly DomainSource[],
    /** Nodes with their bound pods, for the initial counts. */
    private readonly boundNodes: ReadonlyArray<{ labels: Readonly<Record<string, string>>; reqs: Requirements; taints: readonly Taint[]; pods: readonly Pod[]; name: string }>,
  ) {
    for (const node of boundNodes) for (const pod of node.pods) this.addInverseOwner(pod, node.labels, node.name);
  }

  /** Every value `key` can take across NodePools and existing nodes, sorted. */
  domainUniverse(key: string): string[] {
    let u = this.universe.get(key);
    if (!u) {
      const set = new Set<string>();
      for (const s of this.sources) for (const d of s.domains(key)) set.add(d);
      u = [...set].sort();
      this.universe.set(key, u);
    }
    return u;
  }

  /** The groups a pod's own terms make, created (and counted) on first use. */
  groupsFor(pod: Pod, terms: PodTopologyTerms, nodeReqs: Requirements, tolerations: readonly Toleration[]): TopologyGroup[] {
    const out: TopologyGroup[] = [];
    for (const c of terms.spreads) {
      const filter: NodeFilter = {};
      if ((c.nodeAffinityPolicy ?? "Honor") === "Honor" && nodeReqs.size > 0) filter.reqs = nodeReqs;
      if ((c.nodeTaintsPolicy ?? "Ignore") === "Honor") filter.tolerations = tolerations;
      const extra = (c.matchLabelKeys ?? []).filter((k) => pod.metadata.labels?.[k] !== undefined).map((k) => ({ key: k, operator: "In" as const, values: [pod.metadata.labels![k]!] }));
      const selector = compileSelector(c.labelSelector, extra);
      const key = normalizeLabelKey(c.topologyKey);
      const ns = new Set([pod.metadata.namespace || "default"]);
      const sig = JSON.stringify(["spread", key, [...ns], selector.signature, c.maxSkew, c.minDomains ?? 1, filter.reqs?.signature() ?? "", filter.tolerations ? JSON.stringify(filter.tolerations) : ""]);
      out.push(this.group(sig, () => new TopologyGroup("spread", key, ns, selector, c.maxSkew, c.minDomains ?? 1, filter, sig)));
    }
    for (const t of terms.affinity) out.push(this.affinityGroup("affinity", pod, t));
    for (const t of terms.antiAffinity) out.push(this.affinityGroup("anti-affinity", pod, t));
    return out;
  }

  /** Inverse groups whose owners repel this pod. */
  inverseFor(pod: Pod): TopologyGroup[] {
    const out: TopologyGroup[] = [];
    const labels = pod.metadata.labels ?? {};
    for (const key of Object.keys(labels).sort()) {
      for (const g of this.inverseByLabel.get(`${key}=${labels[key]}`) ?? []) if (g.selects(pod)) out.push(g);
    }
    for (const g of this.inverseUnindexed) if (g.selects(pod)) out.push(g);
    return out;
  }

  /** Registers the required anti-affinity of a pending pod so later pods keep away from it; returns its groups. */
  inverseGroupsOwnedBy(pod: Pod): TopologyGroup[] {
    const out: TopologyGroup[] = [];
    for (const t of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (t && typeof t.topologyKey === "string") out.push(this.inverseGroup(pod, t));
    }
    return out;
  }

  private addInverseOwner(pod: Pod, labels: Readonly<Record<string, string>>, nodeName: string): void {
    for (const t of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (!t || typeof t.topologyKey !== "string") continue;
      const g = this.inverseGroup(pod, t);
      const domain = domainOfLabels(labels, g.key, nodeName);
      if (domain !== undefined) g.record(domain);
    }
  }

  private inverseGroup(pod: Pod, term: PodAffinityTerm): TopologyGroup {
    const { key, ns, selector } = this.termParts(pod, term);
    const sig = JSON.stringify(["inverse", key, ns ? [...ns].sort() : "*", selector.signature]);
    let g = this.groups.get(sig);
    if (!g) {
      g = new TopologyGroup("inverse-anti-affinity", key, ns, selector, 0, 0, undefined, sig);
      this.groups.set(sig, g);
      this.inverse.push(g);
      const label = selector.indexLabel;
      if (label === undefined) this.inverseUnindexed.push(g);
      else {
        const list = this.inverseByLabel.get(label);
        if (list) list.push(g);
        else this.inverseByLabel.set(label, [g]);
      }
    }
    return g;
  }

  private termParts(pod: Pod, term: PodAffinityTerm): { key: string; ns: Set<string> | null; selector: CompiledSelector } {
    const labels = pod.metadata.labels ?? {};
    const extra = [
      ...(term.matchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: "In" as const, values: [labels[k]!] })),
      ...(term.mismatchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: "NotIn" as const, values: [labels[k]!] })),
    ];
    const selector = compileSelector(term.labelSelector, extra);
    // An empty namespaceSelector selects all namespaces; a non-empty one can't be evaluated
    // without Namespace objects, so the listed namespaces and the pod's own are used.
    const nsSel = term.namespaceSelector;
    const everyNamespace = nsSel !== undefined && nsSel !== null && Object.keys(nsSel.matchLabels ?? {}).length === 0 && (nsSel.matchExpressions ?? []).length === 0;
    const ns = everyNamespace ? null : new Set(term.namespaces && term.namespaces.length ? term.namespaces : [pod.metadata.namespace || "default"]);
    if (ns && term.namespaceSelector && term.namespaces?.length) ns.add(pod.metadata.namespace || "default");
    return { key: normalizeLabelKey(term.topologyKey), ns, selector };
  }

  private affinityGroup(kind: "affinity" | "anti-affinity", pod: Pod, term: PodAffinityTerm): TopologyGroup {
    const { key, ns, selector } = this.termParts(pod, term);
    const sig = JSON.stringify([kind, key, ns ? [...ns].sort() : "*", selector.signature]);
    return this.group(sig, () => new TopologyGroup(kind, key, ns, selector, 0, 0, undefined, sig));
  }

  private group(sig: string, make: () => TopologyGroup): TopologyGroup {
    let g = this.groups.get(sig);
    if (g) return g;
    g = make();
    this.groups.set(sig, g);
    const label = g.selector.indexLabel;
    if (label === undefined) this.unindexed.push(g);
    else {
      const list = this.byLabel.get(label);
      if (list) list.push(g);
      else this.byLabel.set(label, [g]);
    }
    if (g.kind === "spread" && g.key !== LABEL_HOSTNAME) {
      const eligible = new Set<string>();
      for (const s of this.sources) {
        if (!g.nodeCounts(s.reqs, s.taints, s.allowUndefined)) continue;
        for (const d of s.domains(g.key)) if (!g.filter?.reqs || g.filter.reqs.allows(g.key, d)) eligible.add(d);
      }
      g.eligible = [...eligible].sort();
    }
    for (const node of this.boundNodes) {
      const domain = domainOfLabels(node.labels, g.key, node.name);
      if (domain === undefined) continue;
      if (g.kind === "spread" && !g.nodeCounts(node.reqs, node.taints)) continue;
      for (const p of node.pods) if (g.selects(p)) g.record(domain);
    }
    for (const { pod, on } of this.placed) {
      if (!g.selects(pod)) continue;
      const domain = on.domain(g.key);
      if (domain === undefined) continue;
      if (g.kind === "spread" && !g.nodeCounts(on.reqs, on.taints, on.allowUndefined)) continue;
      g.record(domain);
    }
    return g;
  }

  /** Counts a placed pending pod in every group that selects it, and in the inverse groups it owns. */
  recordPlacement(pod: Pod, on: PlacedOn, counting: readonly TopologyGroup[], ownedInverse: readonly TopologyGroup[]): void {
    this.placed.push({ pod, on });
    for (const g of counting) {
      const domain = on.domain(g.key);
      if (domain === undefined) continue;
      if (g.kind === "spread" && g.filter && !g.nodeCounts(on.reqs, on.taints, on.allowUndefined)) continue;
      g.record(domain);
    }
    for (const g of ownedInverse) {
      const domain = on.domain(g.key);
      if (domain !== undefined) g.record(domain);
    }
  }

  /** Every group (own and inverse) whose selector matches the pod: they count it once placed. */
  countingGroupsFor(pod: Pod): TopologyGroup[] {
    const out: TopologyGroup[] = [];
    const labels = pod.metadata.labels ?? {};
    for (const key of Object.keys(labels).sort()) {
      for (const g of this.byLabel.get(`${key}=${labels[key]}`) ?? []) if (g.kind !== "inverse-anti-affinity" && g.selects(pod)) out.push(g);
    }
    for (const g of this.unindexed) if (g.kind !== "inverse-anti-affinity" && g.selects(pod)) out.push(g);
    return out;
  }
}

/** A node's domain for a key: its label, and its name for hostname when the label is missing. */
export function domainOfLabels(labels: Readonly<Record<string, string>>, key: string, nodeName: string): string | undefined {
  const v = labels[key];
  if (v !== undefined) return v;
  return key === LABEL_HOSTNAME ? nodeName : undefined;
}
