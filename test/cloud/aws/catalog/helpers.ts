import type { EC2NodeClass, EC2NodeClassSpec } from "../../../../lib/api/types.ts";
import { nodeClass as sharedNodeClass } from "../../../support/builders.ts";

export const MI = 1024 ** 2;
export const GI = 1024 ** 3;

/** A parsed EC2NodeClass named "test" (the shared builder) with the given spec fields. */
export function nodeClass(spec: Partial<EC2NodeClassSpec> = {}, name = "test"): EC2NodeClass {
  return sharedNodeClass(spec, name);
}
