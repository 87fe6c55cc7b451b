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

export interface EventPorts {
  cluster: Pick<Cluster, "recordEvent">;
  store: Pick<Store, "claimEvent">;
  clock: Clock;
}

/** Publishes `event` unless a run published the same one within its dedupe timeout: "published" or "deduplicated". */
export async function publishEvent(ports: EventPorts, event: ClusterEvent): Promise<"published" | "deduplicated"> {
  if (event.dedupe && event.dedupe.values.length > 0) {
    const claimed = await ports.store.claimEvent(eventDedupeKey({ ...event, dedupe: event.dedupe }), ports.clock.now(), event.dedupe.timeoutMs ?? DEFAULT_EVENT_DEDUPE_MS);
    if (!claimed) return "deduplicated";
  }
  const { dedupe: _dedupe, ...plain } = event;
  await ports.cluster.recordEvent(plain);
  return "published";
}
