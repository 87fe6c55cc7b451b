/** What a CSI provisioner creates for a claim on first use: a volume pinned to the node's zone. */
import { LABEL_ZONE } from "../../api/labels.ts";
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../api/kubernetes.ts";


export function provisionedVolume(claim: PersistentVolumeClaim, storageClass: StorageClass | undefined, zone: string | undefined): PersistentVolume {
  const name = `pvc-${claim.metadata.uid ?? claim.metadata.name}`;
  const spec: PersistentVolume["spec"] = {
    claimRef: { name: claim.metadata.name, namespace: claim.metadata.namespace || "default" },
    csi: { driver: storageClass?.provisioner ?? "ebs.csi.aws.com", volumeHandle: `vol-${name}` },
  };
  if (claim.spec.storageClassName) spec.storageClassName = claim.spec.storageClassName;
  const storage = claim.spec.resources?.requests?.storage;
  if (storage !== undefined) spec.capacity = { storage };
  if (zone) spec.nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_ZONE, operator: "In", values: [zone] }] }] } };
  return { apiVersion: "v1", kind: "PersistentVolume", metadata: { name }, spec };
}
