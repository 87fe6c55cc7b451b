/**
 * Catching up on pod changes with a short watch instead of a relist: the API server replays
 * every change after the given resourceVersion from its watch cache, then a bookmark carries the
 * newest resourceVersion; we stop after `timeoutSeconds`. The cost follows churn (pods created,
 * bound, deleted since last time), not cluster size. If the history is gone (410, "too old
 * resource version"), the caller relists.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import type { Pod } from "../k8s/types.ts";
import type { PodChange, PodChanges } from "../ports/cluster.ts";
import { KubeApiError, kubeConfigFor } from "./clients.ts";
import type { TokenProvider } from "./eks-token.ts";
import { slimPod } from "./slim.ts";

export const DEFAULT_CATCH_UP_SECONDS = 2;

interface WatchOutcome {
  changes: PodChange[];
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
  for (let attempt = 0; ; attempt++) {
    const token = await tokens.token(attempt > 0 ? { forceRefresh: true } : undefined);
    const outcome = await watchOnce(withToken(config, token), resourceVersion, options);
    if (outcome.status === 401 && attempt === 0) continue;
    if (outcome.expired || outcome.status === 410) return { outcome: "expired" };
    if (outcome.status !== undefined) throw new KubeApiError("watch pods", outcome.status, "the watch could not start");
    return { outcome: "changes", changes: outcome.changes, resourceVersion: outcome.resourceVersion };
  }
}

function withToken(config: KubeConfig, token: string): KubeConfig {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("KubeConfig has no current cluster");
  return kubeConfigFor(cluster.caData ? { server: cluster.server, caData: cluster.caData } : { server: cluster.server }, token);
}

function watchOnce(
  config: KubeConfig,
  since: string,
  options: { timeoutSeconds?: number; labelSelector?: string },
): Promise<WatchOutcome> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_CATCH_UP_SECONDS;
  const outcome: WatchOutcome = { changes: [], resourceVersion: since, expired: false };
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
        "/api/v1/pods",
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
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") outcome.changes.push({ type, pod: slimPod(object as unknown as Pod) });
        },
        finish,
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      }, finish);
  });
}
