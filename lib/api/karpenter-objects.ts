/**
 * Dispatch from an untyped document to the Karpenter kind it claims to be, so callers that read
 * mixed manifests (`tenon validate`, `tenon simulate`) validate each Karpenter object the same way.
 */
import type { InputProblem } from "../errors.ts";
import type { EC2NodeClass, NodeClaim, NodePool } from "./types.ts";
import { isRecord } from "./fields.ts";
import { validateNodePool } from "./nodepool.ts";
import { validateNodeClaim } from "./nodeclaim.ts";
import { validateEC2NodeClass } from "./ec2nodeclass.ts";

export type KarpenterObject = NodePool | NodeClaim | EC2NodeClass;
export type KarpenterKind = KarpenterObject["kind"];

const VALIDATORS: Record<KarpenterKind, (raw: unknown) => { value?: KarpenterObject; problems: InputProblem[] }> = {
  NodePool: validateNodePool,
  EC2NodeClass: validateEC2NodeClass,
  NodeClaim: validateNodeClaim,
};

export function isKarpenterKind(kind: unknown): kind is KarpenterKind {
  return typeof kind === "string" && Object.hasOwn(VALIDATORS, kind);
}

/** Validates a NodePool, EC2NodeClass or NodeClaim; undefined for any other kind. */
export function validateKarpenterObject(doc: unknown): { kind: KarpenterKind; value?: KarpenterObject; problems: InputProblem[] } | undefined {
  const kind = isRecord(doc) ? doc["kind"] : undefined;
  if (!isKarpenterKind(kind)) return undefined;
  return { kind, ...VALIDATORS[kind](doc) };
}
