/** The mutable state of one scheduling run. */
import type { Bin, ClaimBin, ExistingBin } from "./bins.ts";
import type { PoolLimits } from "./limits.ts";
import type { NodePoolTemplate } from "./templates.ts";
import type { Topology } from "./topology.ts";

export interface RunContext {
  readonly topology: Topology;
  readonly templates: readonly NodePoolTemplate[];
  readonly existing: ExistingBin[];
  readonly claims: ClaimBin[];
  /** Existing bins, then claims in creation order: the order pods try them. */
  readonly bins: Bin[];
  readonly limits: PoolLimits;
  readonly maxTypes: number;
  readonly minValuesStrict: boolean;
  nextHostname: number;
}
