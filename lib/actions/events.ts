/**
 * Publishing a Kubernetes Event the way Karpenter's recorder does: an event with dedupe values is
 * published at most once per its timeout (2 minutes unless it says otherwise) for the same reason
 * and values, whatever its message. Karpenter keeps that memory in its process; a Lambda's lasts
 * one container, so the claim is a short-lived item in the store (`Store.claimEvent`: one
 * conditional write, expiring with the timeout), shared by every run of every function.
 */
import type { Cluster, ClusterEvent } from "../ports/cluster.ts";
import type { Clock } from "../ports/clock.ts";
import type { Store } from "../ports/store.ts";

/** Karpenter's default dedupe timeout. */
export const DEFAULT_EVENT_DEDUPE_MS = 2 * 60_000;

/** The dedupe key: the reason in lower case and the values, as Karpenter joins them. */
export function eventDedupeKey(event: ClusterEvent & { dedupe: NonNullable<ClusterEvent["dedupe"]> }): string {
  return [event.reason.toLowerCase(), ...event.dedupe.values].join("-");
}

/**
 * Token buckets by key, for one executor (one run): an event with `rateLimit` takes a token from
 * its key's bucket (full at first, refilled at `perSecond` on the clock) or is dropped.
 */
export class EventRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  tryAccept(limit: NonNullable<ClusterEvent["rateLimit"]>, nowMs: number): boolean {
    const bucket = this.buckets.get(limit.key) ?? { tokens: limit.burst, atMs: nowMs };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * limit.perSecond);
    bucket.atMs = nowMs;
    const accepted = bucket.tokens >= 1;
    if (accepted) bucket.tokens -= 1;
    this.buckets.set(limit.key, bucket);
    return accepted;
  }
}

export interface EventPorts {
  cluster: Pick<Cluster, "recordEvent">;
  store: Pick<Store, "claimEvent">;
  clock: Clock;
  /** The uid of Tenon's NodeClaim object called `name`, undefined when there is none (events on NodeClaims). */
  nodeClaimUid?: (name: string) => Promise<string | undefined>;
  /** The run's rate limiter, for events with `rateLimit` (absent: they are not limited). */
  limiter?: EventRateLimiter;
}

export type EventOutcome = "published" | "deduplicated" | "rate-limited" | "no NodeClaim object";

/**
 * Publishes `event` unless a run published the same one within its dedupe timeout
 * ("deduplicated"), its rate limiter has no token left ("rate-limited"), or it is about a
 * NodeClaim that has no object in the cluster ("no NodeClaim object"; no dedupe claim is spent).
 */
export async function publishEvent(ports: EventPorts, event: ClusterEvent): Promise<EventOutcome> {
  let involvedObject = event.involvedObject;
  if (involvedObject.kind === "NodeClaim" && !involvedObject.uid) {
    const uid = await ports.nodeClaimUid?.(involvedObject.name);
    if (!uid) return "no NodeClaim object";
    involvedObject = { ...involvedObject, uid };
  }
  if (event.dedupe && event.dedupe.values.length > 0) {
    const claimed = await ports.store.claimEvent(eventDedupeKey({ ...event, dedupe: event.dedupe }), ports.clock.now(), event.dedupe.timeoutMs ?? DEFAULT_EVENT_DEDUPE_MS);
    if (!claimed) return "deduplicated";
  }
  if (event.rateLimit && ports.limiter && !ports.limiter.tryAccept(event.rateLimit, ports.clock.now())) return "rate-limited";
  const { dedupe: _dedupe, rateLimit: _rateLimit, ...plain } = event;
  await ports.cluster.recordEvent({ ...plain, involvedObject });
  return "published";
}
