/**
 * Ports for a whole simulated world: the in-memory cluster (kube-scheduler, kubelets, controllers
 * on a virtual clock), a cloud whose launches boot kubelets in that cluster, an in-memory queue and
 * a recorder for logs and metrics. The store is passed in (DynamoDB Local in the end-to-end tests,
 * memory in the local loop). Used by test/e2e, test/functions and scripts/demo.ts (docs/functions.md).
 */
import type { EC2NodeClass } from "../api/types.ts";
import type { InstanceType } from "../ports/instance-type.ts";
import { SimulatedCloud } from "../cloud/in-memory/in-memory-cloud.ts";
import { defaultWorld } from "../cloud/in-memory/world.ts";
import type { LaunchedInstance } from "../cluster/in-memory/kubelet.ts";
import { SimulatedCluster, type SimulationTimings } from "../cluster/in-memory/in-memory-cluster.ts";
import type { VirtualClock } from "../cluster/in-memory/virtual-clock.ts";
import { ClusterStateKeeper } from "../cluster-state/keeper.ts";
import type { Cloud, CloudInstance, LaunchRequest, ResolvedNodeClass } from "../ports/cloud.ts";
import type { Store } from "../ports/store.ts";
import { formatResources } from "../quantity/resources.ts";
import { randomIds } from "./base.ts";
import { type FullPorts, type Ids } from "../observe/ports.ts";
import { MemoryDisruptionQueue, MemoryProvisionerQueue } from "../queue/in-memory/memory-queue.ts";
import { DEFAULT_SETTINGS, type Settings } from "../ports/settings.ts";
import { RecordingTelemetry } from "../ports/telemetry.ts";

/** What the simulated kubelet of a freshly launched instance registers with. */
export function launchedInstanceFor(request: LaunchRequest, instance: CloudInstance, joins = true): LaunchedInstance {
  const type: InstanceType | undefined = request.instanceTypes.find((t) => t.name === instance.instanceType);
  return {
    providerID: instance.providerId,
    instanceType: instance.instanceType,
    zone: instance.zone,
    capacityType: instance.capacityType,
    nodeClaimName: request.nodeClaimName,
    labels: { ...(type?.labels ?? {}), ...request.labels },
    taints: request.taints,
    startupTaints: request.startupTaints,
    allocatable: type ? formatResources(type.allocatable) : {},
    capacity: type ? formatResources(type.capacity) : {},
    joins,
  };
}

/**
 * A Cloud whose new instances boot kubelets in the simulated cluster, and whose terminations
 * remove their Nodes, as EC2 and the cloud controller manager do. Any Cloud can be linked, so the
 * EC2 adapter on moto drives the same simulated cluster.
 */
export class ClusterLinkedCloud implements Cloud {
  private readonly announced = new Set<string>();
  /** Instances for NodeClaims this accepts boot but never join (bad user data, no route to the API server). */
  neverJoin: (nodeClaimName: string) => boolean = () => false;

  // The clean-up calls are optional on the port: forwarded only when the wrapped cloud has them.
  cleanupLaunchTemplates: Cloud["cleanupLaunchTemplates"];
  cleanupInstanceProfiles: Cloud["cleanupInstanceProfiles"];

  constructor(private readonly inner: Cloud, private readonly cluster: SimulatedCluster) {
    this.cleanupLaunchTemplates = inner.cleanupLaunchTemplates?.bind(inner);
    this.cleanupInstanceProfiles = inner.cleanupInstanceProfiles?.bind(inner);
  }

  resolveNodeClass(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    return this.inner.resolveNodeClass(nodeClass);
  }
  instanceTypes(nodeClass: EC2NodeClass): Promise<InstanceType[]> {
    return this.inner.instanceTypes(nodeClass);
  }
  async create(request: LaunchRequest): Promise<CloudInstance> {
    const instance = await this.inner.create(request);
    if (!this.announced.has(instance.providerId)) {
      this.announced.add(instance.providerId);
      this.cluster.instanceLaunched(launchedInstanceFor(request, instance, !this.neverJoin(request.nodeClaimName)));
    }
    return instance;
  }
  get(instanceId: string): Promise<CloudInstance | undefined> {
    return this.inner.get(instanceId);
  }
  list(): Promise<CloudInstance[]> {
    return this.inner.list();
  }
  async delete(instanceId: string): Promise<void> {
    const instance = await this.inner.get(instanceId);
    await this.inner.delete(instanceId);
    if (instance) this.cluster.instanceTerminated(instance.providerId);
  }
}

export interface SimulatedWorldOptions {
  clusterName?: string;
  region?: string;
  store: Store;
  timings?: Partial<SimulationTimings>;
  settings?: Partial<Settings>;
  ids?: Ids;
  /** The world's virtual clock; a fresh one starting 2026-01-01 by default. */
  clock?: VirtualClock;
  /** Replace the simulated cloud (e.g. the EC2 adapter on moto); it is linked to the cluster either way. */
  cloud?: Cloud;
}

export interface SimulatedWorld {
  ports: FullPorts;
  cluster: SimulatedCluster;
  /** The simulated EC2, when no other cloud was given. */
  simCloud: SimulatedCloud | undefined;
  cloud: ClusterLinkedCloud;
  queue: MemoryProvisionerQueue;
  /** The consolidator's wake-up messages to itself. */
  disruptionQueue: MemoryDisruptionQueue;
  telemetry: RecordingTelemetry;
}

export function simulatedWorld(options: SimulatedWorldOptions): SimulatedWorld {
  const clusterName = options.clusterName ?? "tenon-sim";
  const cluster = new SimulatedCluster({ ...(options.timings ? { timings: options.timings } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const clock = cluster.clock;
  const simCloud = options.cloud
    ? undefined
    : new SimulatedCloud({ clusterName, world: defaultWorld({ region: options.region ?? "us-east-1", clusterName }), clock, unavailable: options.store });
  const cloud = new ClusterLinkedCloud(options.cloud ?? simCloud!, cluster);
  const queue = new MemoryProvisionerQueue(() => clock.now());
  const disruptionQueue = new MemoryDisruptionQueue(() => clock.now());
  const telemetry = new RecordingTelemetry();
  const ports: FullPorts = {
    clusterName,
    store: options.store,
    queue,
    clock,
    log: telemetry,
    metrics: telemetry,
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
    ids: options.ids ?? randomIds,
    cloud,
    cluster,
    clusterState: new ClusterStateKeeper(),
    disruptionQueue,
  };
  return { ports, cluster, simCloud, cloud, queue, disruptionQueue, telemetry };
}
