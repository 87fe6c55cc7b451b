/**
 * Drops what Tenon never reads from pods and nodes as each page arrives, so holding a large
 * cluster's state costs a fraction of the JSON that came over the wire. The biggest savings:
 * `metadata.managedFields` (often half a pod's JSON), a node's `status.images` (tens of KB on a
 * busy node), container env/command/probes and container statuses.
 * What is kept is exactly what lib/api/kubernetes.ts describes.
 */
import type { Container, Node, ObjectMeta, Pod } from "../../api/kubernetes.ts";

const CONTAINER_FIELDS = ["name", "image", "resources", "ports", "restartPolicy"] as const;

function slimContainer(container: Container): Container {
  const out: Record<string, unknown> = {};
  for (const field of CONTAINER_FIELDS) if (container[field] !== undefined) out[field] = container[field];
  return out as unknown as Container;
}

function slimMetadata(metadata: ObjectMeta): ObjectMeta {
  const { managedFields: _dropped, ...rest } = metadata as ObjectMeta & { managedFields?: unknown };
  return rest;
}

export function slimPod(pod: Pod): Pod {
  const spec = { ...pod.spec, containers: (pod.spec.containers ?? []).map(slimContainer) };
  if (pod.spec.initContainers) spec.initContainers = pod.spec.initContainers.map(slimContainer);
  delete (spec as Record<string, unknown>).ephemeralContainers;
  const out: Pod = { ...pod, metadata: slimMetadata(pod.metadata), spec };
  if (pod.status) {
    const status: NonNullable<Pod["status"]> = {};
    if (pod.status.phase !== undefined) status.phase = pod.status.phase;
    if (pod.status.conditions) status.conditions = pod.status.conditions;
    if (pod.status.nominatedNodeName !== undefined) status.nominatedNodeName = pod.status.nominatedNodeName;
    out.status = status;
  }
  return out;
}

export function slimNode(node: Node): Node {
  const out: Node = { ...node, metadata: slimMetadata(node.metadata) };
  if (node.status) {
    const status: NonNullable<Node["status"]> = {};
    if (node.status.capacity) status.capacity = node.status.capacity;
    if (node.status.allocatable) status.allocatable = node.status.allocatable;
    if (node.status.conditions) status.conditions = node.status.conditions;
    out.status = status;
  }
  return out;
}
