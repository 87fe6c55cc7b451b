/** The mutable state of one scheduling run. */
import type { Bin, ClaimBin, ExistingBin } from "./bins.ts";
import type { ResourceSpace } from "./candidate-list.ts";
import type { PreparedType } from "./instance-types.ts";
import type { PoolLimits } from "./limits.ts";
import type { NodePoolTemplate } from "./templates.ts";
import type { Topology } from "./topology.ts";

export interface RunContext {
  readonly topology: Topology;
  readonly templates: readonly NodePoolTemplate[];
  /** Names of the static NodePools (spec.replicas), left out of `templates`: named in reasons. */
  readonly staticPools: readonly string[];
  readonly existing: ExistingBin[];
  readonly claims: ClaimBin[];
  /** Existing bins, then claims in creation order: the order pods try them. */
  readonly bins: Bin[];
  /** Bins that may still take the smallest pending pod; compacted now and then. */
  open: Bin[];
  closedInOpen: number;
  /** Per resource, the smallest request among all pending pods: a bin with less room is closed for good. */
  readonly smallestRequest: Readonly<Record<string, number>>;
  /** Every resource some pending pod requests: the dimensions of the candidate lists' headroom index. */
  resources: ResourceSpace;
  readonly limits: PoolLimits;
  readonly maxTypes: number;
  readonly minValuesStrict: boolean;
  nextHostname: number;
  /**
   * Per compatible-types list of a NodePool (the catalog keeps one per requirement set), the types
   * that fit each request vector without limits or port checks: claims opened alike share the list.
   */
  readonly fitting: Map<object, Map<string, { types: PreparedType[]; prices: number[] } | undefined>>;
}
