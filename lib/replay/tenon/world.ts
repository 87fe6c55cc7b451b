/**
 * The simulated cluster and cloud a Tenon run works on: the in-memory cluster on a virtual clock
 * with the trace's timing (a launch becomes a Ready node `nodeReadyMs` later), the simulated EC2
 * on the bundled catalog with subnets in the trace's zones, the in-memory store, and the
 * NodePools and EC2NodeClasses as written. Subnets and security groups carry every tag the
 * EC2NodeClasses select them by, so a NodeClass written for a real cluster resolves here as is.
 */
import type { EC2NodeClass } from "../../api/types.ts";
import { SimulatedCloud } from "../../cloud/in-memory/in-memory-cloud.ts";
import { defaultWorld } from "../../cloud/in-memory/world.ts";
import { VirtualClock } from "../../cluster/in-memory/virtual-clock.ts";
import type { Ids } from "../../observe/ports.ts";
import type { FeatureGates } from "../../ports/settings.ts";
import { createMemoryStore } from "../../store/in-memory/memory-store.ts";
import { simulatedWorld, type SimulatedWorld } from "../../wiring/in-memory.ts";
import { REPLAY_START_MS } from "../trace/expand.ts";
import type { ReplayInput } from "../types.ts";

export const REPLAY_CLUSTER = "replay";

/** NodeClaim name suffixes and uids from a counter: the same run names the same nodes. */
export function countingIds(): Ids {
  let n = 0;
  const letters = (i: number) => {
    let out = "";
    for (let k = 0; k < 5; k++, i = Math.floor(i / 26)) out = String.fromCharCode(97 + (i % 26)) + out;
    return out;
  };
  return {
    suffix: () => letters(n++),
    uid: () => `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, "0")}`,
  };
}

/** From launch to Ready: most of it booting, then 15 s (at most a quarter) for the kubelet to report Ready. */
export function clusterTimings(nodeReadyMs: number): { bootMs: number; readyMs: number } {
  const readyMs = Math.min(15_000, Math.floor(nodeReadyMs / 4));
  return { bootMs: nodeReadyMs - readyMs, readyMs };
}

export interface ReplayWorld {
  world: SimulatedWorld;
  simCloud: SimulatedCloud;
  clock: VirtualClock;
}

export function replayWorld(input: ReplayInput, nodePools: Record<string, unknown>[], nodeClasses: Record<string, unknown>[], featureGates?: FeatureGates): ReplayWorld {
  const clock = new VirtualClock(REPLAY_START_MS);
  const store = createMemoryStore({ clusterName: REPLAY_CLUSTER });
  const sim = defaultWorld({ region: input.region, clusterName: REPLAY_CLUSTER });
  sim.subnets = sim.subnets.filter((s) => input.zones.includes(s.zone));
  const tags = (pick: (nc: EC2NodeClass) => Array<{ tags?: Record<string, string> }>) =>
    Object.assign({}, ...input.nodeClasses.flatMap((nc) => pick(nc).map((t) => t.tags ?? {}))) as Record<string, string>;
  const subnetTags = tags((nc) => nc.spec.subnetSelectorTerms);
  const groupTags = tags((nc) => nc.spec.securityGroupSelectorTerms);
  for (const s of sim.subnets) s.tags = { ...s.tags, ...subnetTags };
  for (const g of sim.securityGroups) g.tags = { ...g.tags, ...groupTags };
  for (const nc of input.nodeClasses) if (nc.spec.role) sim.roles?.add(nc.spec.role);
  const { bootMs, readyMs } = clusterTimings(input.timing.nodeReadyMs);
  const simCloud = new SimulatedCloud({ clusterName: REPLAY_CLUSTER, world: sim, clock, unavailable: store, bootDelayMs: bootMs });
  const world = simulatedWorld({
    clusterName: REPLAY_CLUSTER, region: input.region, store, clock, cloud: simCloud, ids: countingIds(),
    timings: { bootMs, readyMs },
    ...(featureGates ? { settings: { featureGates } } : {}),
  });
  for (const nc of nodeClasses) world.cluster.putCustomObject("EC2NodeClass", structuredClone(nc) as never);
  for (const np of nodePools) world.cluster.putCustomObject("NodePool", structuredClone(np) as never);
  for (const ds of input.daemonSets ?? []) world.cluster.addDaemonSet(structuredClone(ds));
  return { world, simCloud, clock };
}
