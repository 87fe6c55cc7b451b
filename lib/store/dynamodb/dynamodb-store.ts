/**
 * The Store on one DynamoDB table (see docs/state.md). The client and table name are injected, so
 * Lambdas pass their configured client and tests pass one pointed at DynamoDB Local.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ConfigKind, DisruptionCommandContent, NodeClaimContent, PutConfigObjectOptions, Store } from "../../ports/store.ts";
import type { OfferingKey } from "../../ports/unavailable-offerings.ts";
import { clusterPk, itemPk, itemTypeOf } from "../keys.ts";
import * as claims from "./nodeclaims.ts";
import * as coordination from "./coordination.ts";
import * as config from "./config-objects.ts";
import * as clusterState from "./cluster-state.ts";
import * as commands from "./commands.ts";
import * as journal from "./journal.ts";
import type { JournalEntry, JournalQuery } from "../../ports/journal.ts";
import type { DynamoContext } from "./context.ts";

export interface DynamoDbStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  clusterName: string;
}

export function createDynamoDbStore(options: DynamoDbStoreOptions): Store {
  // A bad cluster name fails here, not at the first request.
  clusterPk(options.clusterName);
  const ctx: DynamoContext = {
    doc: DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName: options.tableName,
    pk: (sk) => itemPk(options.clusterName, itemTypeOf(sk)),
  };
  return {
    createNodeClaim: (content: NodeClaimContent, nowMs: number) => claims.createNodeClaim(ctx, content, nowMs),
    getNodeClaim: (name: string) => claims.getNodeClaim(ctx, name),
    listNodeClaims: () => claims.listNodeClaims(ctx),
    updateNodeClaim: (name: string, expectedVersion: number, content: NodeClaimContent, nowMs: number) =>
      claims.updateNodeClaim(ctx, name, expectedVersion, content, nowMs),
    deleteNodeClaim: (name: string, expectedVersion: number) => claims.deleteNodeClaim(ctx, name, expectedVersion),

    recordPodsSeen: (count: number, nowMs: number) => coordination.recordPodsSeen(ctx, count, nowMs),
    getBatchWindow: () => coordination.getBatchWindow(ctx),
    claimBatchWindow: (expectedVersion: number) => coordination.claimBatchWindow(ctx, expectedVersion),

    acquireLease: (name: string, holder: string, ttlMs: number, nowMs: number) => coordination.acquireLease(ctx, name, holder, ttlMs, nowMs),
    renewLease: (name: string, holder: string, ttlMs: number, nowMs: number) => coordination.renewLease(ctx, name, holder, ttlMs, nowMs),
    releaseLease: (name: string, holder: string) => coordination.releaseLease(ctx, name, holder),
    getLease: (name: string) => coordination.getLease(ctx, name),

    markUnavailable: (key: OfferingKey, reason: string, expiresAtMs: number) => coordination.markUnavailable(ctx, key, reason, expiresAtMs),
    claimEvent: (key: string, nowMs: number, timeoutMs: number) => coordination.claimEvent(ctx, key, nowMs, timeoutMs),
    putObjectStatus: (kind: ConfigKind, name: string, status: Record<string, unknown>, nowMs: number) => config.putObjectStatus(ctx, kind, name, status, nowMs),
    listObjectStatuses: () => config.listObjectStatuses(ctx),
    listUnavailable: (nowMs: number) => coordination.listUnavailable(ctx, nowMs),

    putConfigObject: (kind: ConfigKind, name: string, raw: unknown, nowMs: number, opts?: PutConfigObjectOptions) =>
      config.putConfigObject(ctx, kind, name, raw, nowMs, opts),
    getConfigObject: (kind: ConfigKind, name: string) => config.getConfigObject(ctx, kind, name),
    listConfigObjects: (kind: ConfigKind) => config.listConfigObjects(ctx, kind),
    deleteConfigObject: (kind: ConfigKind, name: string, expectedVersion?: number) => config.deleteConfigObject(ctx, kind, name, expectedVersion),

    createDisruptionCommand: (id: string, content: DisruptionCommandContent, nowMs: number) => commands.createDisruptionCommand(ctx, id, content, nowMs),
    listDisruptionCommands: () => commands.listDisruptionCommands(ctx),
    updateDisruptionCommand: (id: string, expectedVersion: number, content: DisruptionCommandContent, nowMs: number) =>
      commands.updateDisruptionCommand(ctx, id, expectedVersion, content, nowMs),
    deleteDisruptionCommand: (id: string, expectedVersion: number) => commands.deleteDisruptionCommand(ctx, id, expectedVersion),

    putClusterState: (generation: number, entries: readonly unknown[], nowMs: number) => clusterState.putClusterState(ctx, generation, entries, nowMs),
    getClusterState: () => clusterState.getClusterState(ctx),

    putJournalEntry: (entry: JournalEntry, expiresAtMs: number) => journal.putJournalEntry(ctx, entry, expiresAtMs),
    listJournal: (query: JournalQuery, nowMs: number) => journal.listJournal(ctx, query, nowMs),
  };
}
