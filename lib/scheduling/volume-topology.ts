/**
 * Volume topology: a pod's PersistentVolumeClaims pin it to where its volumes are or may be
 * created. A bound claim follows its PersistentVolume's node affinity; an unbound one follows its
 * StorageClass's allowedTopologies. The EBS CSI zone key is the zone label under another name.
 *
 * A volume's node-affinity terms (and a class's allowedTopologies terms) are ORed: each is an
 * alternative. Several volumes combine term by term, and only the combinations that can hold at
 * once remain. Where the alternatives differ in one key's values only (zones, typically) they are
 * one requirement with the values together; otherwise the scheduler tries them in order.
 *
 * Claims the kube-scheduler would refuse make the pod unschedulable with the reason, as Karpenter
 * does: a claim being deleted or Lost, a bound volume being deleted, a claim naming a volume
 * without the bind-completed annotation, and an unbound claim with the empty StorageClass or one
 * that binds Immediate.
 */
import { ANNOTATION_BIND_COMPLETED, LABEL_HOSTNAME, normalizeLabelKey } from "../api/labels.ts";
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, Pod } from "../api/kubernetes.ts";
import { Requirement, Requirements } from "../requirements/index.ts";
import type { VolumeObjects } from "./types.ts";

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/**
 * `alternatives`: the requirements the pod's volumes impose, any one of which will do; empty when
 * they impose none. Or why no node can take the pod.
 */
export type VolumeRequirements = { alternatives: Requirements[]; error?: undefined } | { alternatives?: undefined; error: string };

/** One volume's alternatives; `undefined` when it constrains nothing (or one alternative is unconstrained). */
type Alternatives = Requirements[] | undefined;

/** Lookups over the volume objects, built once per scheduling run. */
export class VolumeIndex {
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, PersistentVolume>();
  private readonly classes = new Map<string, VolumeObjects["storageClasses"][number]>();
  private readonly defaultClass: string | undefined;

  constructor(objects: VolumeObjects) {
    for (const c of objects.claims) this.claims.set(`${c.metadata.namespace || "default"}/${c.metadata.name}`, c);
    for (const v of objects.volumes) this.volumes.set(v.metadata.name, v);
    const defaults: string[] = [];
    for (const s of objects.storageClasses) {
      this.classes.set(s.metadata.name, s);
      if (s.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true") defaults.push(s.metadata.name);
    }
    this.defaultClass = defaults.sort()[0];
  }

  /** The node requirements the pod's volumes impose (alternatives), or why they can't be met. */
  podRequirements(pod: Pod): VolumeRequirements {
    let combined: Requirements[] = [Requirements.EMPTY];
    let constrained = false;
    const ns = pod.metadata.namespace || "default";
    for (const volume of pod.spec.volumes ?? []) {
      let claim: PersistentVolumeClaim | undefined;
      let spec: PersistentVolumeClaimSpec;
      let claimName: string;
      if (volume.persistentVolumeClaim) {
        claimName = volume.persistentVolumeClaim.claimName;
        claim = this.claims.get(`${ns}/${claimName}`);
        if (!claim) return { error: `PersistentVolumeClaim ${ns}/${claimName} not found` };
        spec = claim.spec;
      } else if (volume.ephemeral?.volumeClaimTemplate) {
        // A generic ephemeral volume's claim is created as <pod>-<volume>; until then, use the template.
        claimName = `${pod.metadata.name}-${volume.name}`;
        claim = this.claims.get(`${ns}/${claimName}`);
        spec = claim?.spec ?? volume.ephemeral.volumeClaimTemplate.spec;
      } else continue;
      const result = this.claimAlternatives(`${ns}/${claimName}`, claim, spec);
      if (typeof result === "string") return { error: result };
      if (!result) continue;
      const next: Requirements[] = [];
      const seen = new Set<string>();
      for (const have of combined) {
        for (const alt of result) {
          const merged = have.intersect(alt);
          if (merged.isUnsatisfiable()) continue;
          const sig = merged.signature();
          if (seen.has(sig)) continue;
          seen.add(sig);
          next.push(merged);
        }
      }
      if (next.length === 0) {
        return { error: `the topologies of the pod's volumes have nothing in common (claim ${ns}/${claimName} allows ${describe(result)}, the pod's other volumes ${describe(combined)})` };
      }
      combined = next;
      constrained = true;
    }
    return { alternatives: constrained ? collapse(combined) : [] };
  }

  /** One claim's alternatives, `undefined` when unconstrained, or why the pod can't schedule. */
  private claimAlternatives(name: string, claim: PersistentVolumeClaim | undefined, spec: PersistentVolumeClaimSpec): Alternatives | string {
    if (claim?.metadata.deletionTimestamp) return `PersistentVolumeClaim ${name} is being deleted`;
    if (claim?.status?.phase === "Lost") return `PersistentVolumeClaim ${name} is Lost (bound to a PersistentVolume that no longer exists)`;
    if (spec.volumeName) {
      const pv = this.volumes.get(spec.volumeName);
      if (!pv) return `PersistentVolume ${spec.volumeName} of claim ${name} not found`;
      if (pv.metadata.deletionTimestamp) return `PersistentVolume ${spec.volumeName} of claim ${name} is being deleted`;
      // The kube-scheduler counts a claim as bound only once the PV controller has annotated it;
      // until then a claim naming its volume is an unbound Immediate claim, which it never schedules.
      if (claim && claim.metadata.annotations?.[ANNOTATION_BIND_COMPLETED] === undefined) {
        return `PersistentVolumeClaim ${name} names PersistentVolume ${spec.volumeName} but is not bound yet (no ${ANNOTATION_BIND_COMPLETED} annotation)`;
      }
      return volumeAlternatives(pv);
    }
    // An unset class is the default class (the API server's admission fills it in). When the input
    // names no default class the claim is taken as provisionable anywhere: `tenon simulate` input
    // often leaves the cluster's classes out. The empty class is "no class": nothing provisions it.
    if (spec.storageClassName === "") return `PersistentVolumeClaim ${name} is unbound and its storageClassName is empty (no class), so no volume will be provisioned for it`;
    const className = spec.storageClassName ?? this.defaultClass;
    if (!className) return undefined;
    const sc = this.classes.get(className);
    if (!sc) return `StorageClass ${className} of claim ${name} not found`;
    if (sc.volumeBindingMode === "Immediate") return `PersistentVolumeClaim ${name} is unbound and its StorageClass ${className} binds Immediate: it must be bound before its pod can schedule`;
    const out: Requirements[] = [];
    for (const term of sc.allowedTopologies ?? []) {
      const reqs = (term.matchLabelExpressions ?? []).map((e) => Requirement.in(normalizeLabelKey(e.key), e.values));
      if (reqs.length > 0) out.push(Requirements.of(...reqs));
    }
    return out.length ? out : undefined;
  }
}

/**
 * A PersistentVolume's node-affinity terms as alternatives. A local or hostPath volume's hostname
 * affinity is left out: a new node is never the old host, so a term with only that is unconstrained.
 */
function volumeAlternatives(pv: PersistentVolume): Alternatives {
  const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const hostBound = pv.spec.local !== undefined || pv.spec.hostPath !== undefined;
  const out: Requirements[] = [];
  for (const term of terms) {
    let exprs = term.matchExpressions ?? [];
    if (hostBound) {
      const kept = exprs.filter((e) => normalizeLabelKey(e.key) !== LABEL_HOSTNAME);
      if (exprs.length > 0 && kept.length === 0) return undefined;
      exprs = kept;
    }
    if (exprs.length > 0) out.push(Requirements.fromNodeSelector(exprs, normalizeLabelKey));
  }
  return out.length ? out : undefined;
}

/**
 * Alternatives that agree on every key but one, where each allows a set of values, are that key
 * allowing all those values: one requirement the scheduler can narrow as it likes (any zone
 * of a volume's zones), instead of alternatives tried in order.
 */
function collapse(alts: Requirements[]): Requirements[] {
  if (alts.length < 2) return alts;
  const first = alts[0]!;
  let varying: string | undefined;
  for (const key of first.keys()) {
    const sig = first.get(key)!;
    if (alts.some((a) => a.size !== first.size || !a.hasKey(key) || !same(a.get(key)!, sig))) {
      if (varying !== undefined) return alts;
      varying = key;
    }
  }
  if (varying === undefined) return [first];
  const values = new Set<string>();
  for (const a of alts) {
    const r = a.get(varying)!;
    if (r.complement || r.absentAllowed || r.minValues !== undefined) return alts;
    for (const v of r.values) values.add(v);
  }
  return [first.without(varying).with(Requirement.in(varying, values))];
}

function same(a: Requirement, b: Requirement): boolean {
  return Requirements.of(a).signature() === Requirements.of(b).signature();
}

function describe(alts: readonly Requirements[]): string {
  return alts.map((a) => (a.size ? `(${a.toString()})` : "anywhere")).join(" or ");
}
