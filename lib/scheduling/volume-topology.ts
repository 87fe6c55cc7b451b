/**
 * Volume topology: a pod's PersistentVolumeClaims pin it to where its volumes are or may be
 * created. A bound claim follows its PersistentVolume's node affinity; an unbound one follows its
 * StorageClass's allowedTopologies. The EBS CSI zone key is the zone label under another name.
 */
import { normalizeLabelKey } from "../api/labels.ts";
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec, Pod } from "../api/kubernetes.ts";
import { Requirement, Requirements } from "../requirements/index.ts";
import type { VolumeObjects } from "./types.ts";

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

export type VolumeRequirements = { requirements: Requirements; error?: undefined } | { requirements?: undefined; error: string };

/** Lookups over the volume objects, built once per scheduling run. */
export class VolumeIndex {
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, VolumeObjects["volumes"][number]>();
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

  /** The node requirements the pod's volumes impose, or why they can't be met. */
  podRequirements(pod: Pod): VolumeRequirements {
    let reqs = Requirements.EMPTY;
    const ns = pod.metadata.namespace || "default";
    for (const volume of pod.spec.volumes ?? []) {
      let spec: PersistentVolumeClaimSpec | undefined;
      let claimName: string;
      if (volume.persistentVolumeClaim) {
        claimName = volume.persistentVolumeClaim.claimName;
        const claim = this.claims.get(`${ns}/${claimName}`);
        if (!claim) return { error: `PersistentVolumeClaim ${ns}/${claimName} not found` };
        spec = claim.spec;
      } else if (volume.ephemeral?.volumeClaimTemplate) {
        // A generic ephemeral volume's claim is created as <pod>-<volume>; until then, use the template.
        claimName = `${pod.metadata.name}-${volume.name}`;
        spec = this.claims.get(`${ns}/${claimName}`)?.spec ?? volume.ephemeral.volumeClaimTemplate.spec;
      } else continue;
      const result = this.claimRequirements(ns, claimName, spec);
      if (result.error !== undefined) return result;
      reqs = reqs.intersect(result.requirements);
    }
    return { requirements: reqs };
  }

  private claimRequirements(ns: string, claimName: string, spec: PersistentVolumeClaimSpec): VolumeRequirements {
    if (spec.volumeName) {
      const pv = this.volumes.get(spec.volumeName);
      if (!pv) return { error: `PersistentVolume ${spec.volumeName} of claim ${ns}/${claimName} not found` };
      // Terms are ORed; a volume has one placement in practice, so the first term is taken.
      const term = pv.spec.nodeAffinity?.required?.nodeSelectorTerms?.[0];
      return { requirements: Requirements.fromNodeSelector(term?.matchExpressions ?? [], normalizeLabelKey) };
    }
    const className = spec.storageClassName === undefined ? this.defaultClass : spec.storageClassName;
    if (!className) return { requirements: Requirements.EMPTY };
    const sc = this.classes.get(className);
    if (!sc) return { error: `StorageClass ${className} of claim ${ns}/${claimName} not found` };
    const term = sc.allowedTopologies?.[0];
    const reqs: Requirement[] = [];
    for (const expr of term?.matchLabelExpressions ?? []) reqs.push(Requirement.in(normalizeLabelKey(expr.key), expr.values));
    return { requirements: reqs.length ? Requirements.of(...reqs) : Requirements.EMPTY };
  }
}
