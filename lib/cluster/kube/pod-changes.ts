/**
 * Catching up on pod (and node) changes with a short watch instead of a relist: the API server replays
 * every change after the given resourceVersion from its watch cache, then a bookmark carries the
 * newest resourceVersion; we stop after `timeoutSeconds`. The cost follows churn (pods created,
 * bound, deleted since last time), not cluster size. If the history is gone (410, "too old
 * resource version"), the caller relists. Nodes use the same watch on /api/v1/nodes, slimmed by
 * `slimNode` as lists are.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import type { Node, Pod } from "../../api/kubernetes.ts";
import type { NodeChanges, PodChanges } from "../../ports/cluster.ts";
import { KubeApiError, kubeConfigFor } from "./clients.ts";
import type { TokenProvider } from "./eks-token.ts";
import { slimNode, slimPod } from "./slim.ts";

export const DEFAULT_CATCH_UP_SECONDS = 2;

type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** What one watch resource is: its path, a name for errors, and how its objects are slimmed. */
interface Watched<T> {
  path: string;
  what: string;
  slim: (object: T) => T;
}

const PODS: Watched<Pod> = { path: "/api/v1/pods", what: "pods", slim: slimPod };
const NODES: Watched<Node> = { path: "/api/v1/nodes", what: "nodes", slim: slimNode };

interface WatchOutcome<T> {
  changes: Array<{ type: ChangeType; object: T }>;
  resourceVersion: string;
  expired: boolean;
  /** HTTP status when the watch could not start. */
  status?: number;
}

export async function podChangesSince(
  config: KubeConfig,
  tokens: TokenProvider,
  resourceVersion: string,
  options: { timeoutSeconds?: number; labelSelector?: string } = {},
): Promise<PodChanges> {
  const result = await changesSince(PODS, config, tokens, resourceVersion, options);
  if (result.outcome === "expired") return result;
  return { outcome: "changes", changes: result.changes.map((c) => ({ type: c.type, pod: c.object })), resourceVersion: result.resourceVersion };
}

export async function nodeChangesSince(
  config: KubeConfig,
  tokens: TokenProvider,
  resourceVersion: string,
  options: { timeoutSeconds?: number; labelSelector?: string } = {},
): Promise<NodeChanges> {
  const result = await changesSince(NODES, config, tokens, resourceVersion, options);
  if (result.outcome === "expired") return result;
  return { outcome: "changes", changes: result.changes.map((c) => ({ type: c.type, node: c.object })), resourceVersion: result.resourceVersion };
}

async function changesSince<T>(
  watched: Watched<T>,
  config: KubeConfig,
  tokens: TokenProvider,
  resourceVersion: string,
  options: { timeoutSeconds?: number; labelSelector?: string },
): Promise<{ outcome: "changes"; changes: WatchOutcome<T>["changes"]; resourceVersion: string } | { outcome: "expired" }> {
  for (let attempt = 0; ; attempt++) {
    const token = await tokens.token(attempt > 0 ? { forceRefresh: true } : undefined);
    const outcome = await watchOnce(watched, withToken(config, token), resourceVersion, options);
    if (outcome.status === 401 && attempt === 0) continue;
    if (outcome.expired || outcome.status === 410) return { outcome: "expired" };
    if (outcome.status !== undefined) throw new KubeApiError(`watch ${watched.what}`, outcome.status, "the watch could not start");
    return { outcome: "changes", changes: outcome.changes, resourceVersion: outcome.resourceVersion };
  }
}

function withToken(config: KubeConfig, token: string): KubeConfig {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("KubeConfig has no current cluster");
  return kubeConfigFor(cluster.caData ? { server: cluster.server, caData: cluster.caData } : { server: cluster.server }, token);
}

function watchOnce<T>(
  watched: Watched<T>,
  config: KubeConfig,
  since: string,
  options: { timeoutSeconds?: number; labelSelector?: string },
): Promise<WatchOutcome<T>> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_CATCH_UP_SECONDS;
  const outcome: WatchOutcome<T> = { changes: [], resourceVersion: since, expired: false };
  return new Promise((resolve) => {
    let settled = false;
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: { statusCode?: number } | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      controller?.abort();
      if (err && typeof err.statusCode === "number") outcome.status = err.statusCode;
      resolve(outcome);
    };
    // The server closes the stream after timeoutSeconds; the local timer is the backstop.
    timer = setTimeout(() => finish(null), (timeoutSeconds + 1) * 1000);
    const query: Record<string, string | number | boolean> = { resourceVersion: since, allowWatchBookmarks: true, timeoutSeconds };
    if (options.labelSelector) query.labelSelector = options.labelSelector;
    new Watch(config)
      .watch(
        watched.path,
        query,
        (type: string, object: { metadata?: { resourceVersion?: string }; code?: number }) => {
          if (type === "ERROR") {
            // A "too old resource version" arrives as an ERROR event carrying a 410 Status.
            if (object.code === 410) outcome.expired = true;
            else outcome.status = object.code ?? 500;
            finish(null);
            return;
          }
          const rv = object.metadata?.resourceVersion;
          if (rv) outcome.resourceVersion = rv;
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") outcome.changes.push({ type, object: watched.slim(object as unknown as T) });
        },
        finish,
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      }, finish);
  });
}
