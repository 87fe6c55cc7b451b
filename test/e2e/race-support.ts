/**
 * Racing provisioner invocations on one simulated world. Each handler call gets ports of its own,
 * as concurrent Lambda invocations do (its own container: its own bound-pod cache), over the shared
 * store, cloud, cluster and clock. A test can stall an invocation at a chosen call (a `Gate`), make
 * a call fail after it took effect, or kill the invocation there: from then on every call it makes
 * throws, as if the Lambda had died, so it neither finishes its work nor releases its lease.
 */
import { ClusterStateKeeper } from "../../lib/cluster-state/keeper.ts";
import { clusterObjects, observe } from "../../lib/observe/observe.ts";
import type { Cloud, CloudInstance } from "../../lib/ports/cloud.ts";
import type { NodeClaimRecord, Store } from "../../lib/ports/store.ts";
import type { Runtime } from "../../lib/wiring/base.ts";
import type { FullPorts, FunctionName } from "../../lib/observe/ports.ts";
import type { SimulatedWorld } from "../../lib/wiring/in-memory.ts";
import { schedule } from "../../lib/scheduling/scheduler.ts";
import { buildSchedulingInput } from "../../lib/scheduling/snapshot.ts";

/** A point one invocation stops at until the test opens it. */
export class Gate {
  private release!: () => void;
  private arrive!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  /** Settles when an invocation has arrived at the gate. */
  readonly reached = new Promise<void>((resolve) => (this.arrive = resolve));

  async pass(): Promise<void> {
    this.arrive();
    await this.opened;
  }

  open(): void {
    this.release();
  }
}

export class InvocationKilled extends Error {
  constructor(what: string) {
    super(`invocation killed (${what})`);
    this.name = "InvocationKilled";
  }
}

type Method = (...args: never[]) => unknown;

/** What an invocation does around one of its port calls; `call` is the method name. */
export interface Interceptor {
  /** Runs before the call reaches the real port (e.g. waits at a Gate). */
  before?(call: string, args: unknown[]): Promise<void> | void;
  /**
   * After the call took effect: "throw" makes it fail this once (the invocation goes on, e.g. its
   * `finally` releases the lease); "die" kills the invocation (every later call throws too).
   */
  after?(call: string, args: unknown[], result: unknown): "throw" | "die" | undefined;
}

/** One invocation's view of `target`: every method goes through `interceptor`, and throws once the invocation is dead. */
function intercepted<T extends object>(target: T, state: { dead?: string }, interceptor: Interceptor): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      const name = String(key);
      return async (...args: unknown[]) => {
        if (state.dead) throw new InvocationKilled(state.dead);
        await interceptor.before?.(name, args);
        if (state.dead) throw new InvocationKilled(state.dead);
        const result = await (value as Method).apply(obj, args as never[]);
        const fault = interceptor.after?.(name, args, result);
        if (fault === "die") state.dead = `after ${name}`;
        if (fault) throw new InvocationKilled(`${fault} after ${name}`);
        return result;
      };
    },
  });
}

/** How the i-th invocation of function `fn` (0-based, in the order its handler asked for ports) behaves. */
export type InvocationPlan = (index: number, fn: FunctionName) => Interceptor | undefined;

/**
 * A runtime handing each invocation its own ports over the world's shared store and cloud, each
 * wrapped by that invocation's interceptor. `invocations` counts a function's handler calls so far.
 */
export function racingRuntime(world: SimulatedWorld, plan: InvocationPlan = () => undefined): Runtime & { invocations: (fn: FunctionName) => number } {
  const counts = new Map<FunctionName, number>();
  const portsFor = async (fn: FunctionName): Promise<FullPorts> => {
    const index = counts.get(fn) ?? 0;
    counts.set(fn, index + 1);
    const interceptor = plan(index, fn);
    const own: FullPorts = { ...world.ports, clusterState: new ClusterStateKeeper() };
    if (!interceptor) return own;
    const state: { dead?: string } = {};
    return { ...own, store: intercepted<Store>(world.ports.store, state, interceptor), cloud: intercepted<Cloud>(world.ports.cloud, state, interceptor) };
  };
  return { core: portsFor, full: portsFor, invocations: (fn) => counts.get(fn) ?? 0 };
}

/** How many NodeClaims one `schedule()` of the world as it is now asks for. */
export async function claimsOneScheduleAsksFor(world: SimulatedWorld): Promise<number> {
  const observation = await observe({ ...world.ports, clusterState: new ClusterStateKeeper() }, world.ports.clock.now());
  return schedule(buildSchedulingInput(clusterObjects(observation))).newNodeClaims.length;
}

/** Instances and records side by side: what a leak or a double launch would show up as. */
export interface Ledger {
  instances: CloudInstance[];
  records: NodeClaimRecord[];
  /** Live instances no record names (by instance ID or NodeClaim name). */
  orphans: CloudInstance[];
  /** NodeClaim names that more than one live instance carries. */
  doubled: string[];
  /** Launched (or later) records whose instance is not live. */
  missing: NodeClaimRecord[];
}

export async function ledger(world: SimulatedWorld): Promise<Ledger> {
  const instances = await world.cloud.list();
  const records = await world.ports.store.listNodeClaims();
  const byName = new Map(records.map((r) => [r.name, r]));
  const orphans = instances.filter((i) => {
    const owner = i.nodeClaimName ? byName.get(i.nodeClaimName) : undefined;
    return !owner || (owner.launch.instanceId !== undefined && owner.launch.instanceId !== i.instanceId);
  });
  const perName = new Map<string, number>();
  for (const i of instances) if (i.nodeClaimName) perName.set(i.nodeClaimName, (perName.get(i.nodeClaimName) ?? 0) + 1);
  const doubled = [...perName].filter(([, n]) => n > 1).map(([name]) => name);
  const live = new Set(instances.map((i) => i.instanceId));
  const missing = records.filter((r) => r.phase !== "Pending" && (!r.launch.instanceId || !live.has(r.launch.instanceId)));
  return { instances, records, orphans, doubled, missing };
}
