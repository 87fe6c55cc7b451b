/**
 * The node view every flow reads: the one the cluster-state keeper holds for the container
 * (lib/cluster-state/nodes.ts), brought current by replaying node changes since the last run; a
 * full paged list only when the container has no view yet or the history has expired. Without a
 * keeper (a one-off run) the view lives for the call.
 */
import type { Node } from "../api/kubernetes.ts";
import { NodeState, nodeStateOf, type NodeView } from "../cluster-state/nodes.ts";
import type { FullPorts } from "./ports.ts";

export async function observeNodeView(ports: Pick<FullPorts, "cluster" | "clusterState">): Promise<NodeView> {
  const state = ports.clusterState ? nodeStateOf(ports.clusterState) : new NodeState();
  const { view } = await state.current({ cluster: ports.cluster });
  return view;
}

/** Every node, as of now (sorted by name; copies the caller may keep). */
export async function observeNodes(ports: Pick<FullPorts, "cluster" | "clusterState">): Promise<Node[]> {
  return (await observeNodeView(ports)).nodes();
}
