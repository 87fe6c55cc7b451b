/** The in-memory cluster for tests, the demo and `tenon simulate`: see docs/kubernetes.md. */
export { SimulatedCluster, DEFAULT_TIMINGS, type RecordedEvent, type SimulatedClusterOptions, type SimulationTimings } from "./in-memory-cluster.ts";
export { VirtualClock, type TimerAction } from "./virtual-clock.ts";
export { NOT_READY_TAINT, UNREGISTERED_TAINT, type LaunchedInstance } from "./kubelet.ts";
export type { ScheduleFn } from "./kube-scheduler.ts";
export { ChangeHistory, NodeHistory, PodHistory, POD_HISTORY_LIMIT } from "./pod-history.ts";
