import type { Clock } from "../../lib/ports/clock.ts";
import { kubeConfigFor, makeClients } from "../../lib/cluster/kube/clients.ts";
import type { TokenProvider } from "../../lib/cluster/kube/eks-token.ts";
import { KubeCluster } from "../../lib/cluster/kube/kube-cluster.ts";
import type { FakeApiServer } from "../../lib/cluster/kube/fake-apiserver.ts";

export const fixedClock = (startMs = Date.UTC(2026, 0, 1)): Clock & { set(ms: number): void } => {
  let now = startMs;
  return {
    now: () => now,
    sleep: async (ms) => void (now += ms),
    set: (ms) => void (now = ms),
  };
};

/** A token provider that hands out `tokens` in order, moving on only when forced to refresh. */
export function scriptedTokens(...tokens: string[]): TokenProvider & { calls: Array<{ forceRefresh: boolean }> } {
  let index = 0;
  const calls: Array<{ forceRefresh: boolean }> = [];
  return {
    calls,
    async token(options) {
      calls.push({ forceRefresh: Boolean(options?.forceRefresh) });
      if (options?.forceRefresh) index = Math.min(index + 1, tokens.length - 1);
      return tokens[index]!;
    },
  };
}

export function clusterAgainst(server: FakeApiServer, tokens: TokenProvider = scriptedTokens("t0"), clock: Clock = fixedClock()): KubeCluster {
  return new KubeCluster(makeClients(kubeConfigFor({ server: server.url })), tokens, clock);
}

export function pod(name: string, fields: { namespace?: string; nodeName?: string; phase?: string; labels?: Record<string, string> } = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: fields.namespace ?? "default",
      labels: fields.labels ?? {},
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: { ...(fields.nodeName ? { nodeName: fields.nodeName } : {}), containers: [{ name: "app", image: "app:1" }] },
    status: { phase: fields.phase ?? (fields.nodeName ? "Running" : "Pending") },
  };
}

export function node(name: string, extra: { labels?: Record<string, string>; taints?: unknown[]; finalizers?: string[] } = {}) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: extra.labels ?? {}, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    spec: { providerID: `aws:///us-east-1a/i-${name}`, ...(extra.taints ? { taints: extra.taints } : {}) },
    status: { allocatable: { cpu: "4", memory: "16Gi", pods: "110" } },
  };
}
