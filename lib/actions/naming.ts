/** NodeClaim names as Karpenter makes them: `<nodepool>-<5 random lowercase letters>`. */

export const NODECLAIM_SUFFIX_LENGTH = 5;
const SUFFIX = /^[a-z]{5}$/;
/** Longest NodePool name that still leaves a valid (<= 63 character) label value for the NodeClaim name. */
const MAX_POOL_PREFIX = 63 - NODECLAIM_SUFFIX_LENGTH - 1;

export function nodeClaimName(nodePoolName: string, suffix: string): string {
  if (!SUFFIX.test(suffix)) throw new Error(`NodeClaim name suffix "${suffix}" is not ${NODECLAIM_SUFFIX_LENGTH} lowercase letters`);
  // The name is also the value of the karpenter.sh/nodeclaim tag and label: keep it within 63.
  const prefix = nodePoolName.slice(0, MAX_POOL_PREFIX).replace(/[-.]+$/, "");
  return `${prefix}-${suffix}`;
}

/** A name not in `taken`, drawing suffixes until one is free (a clash is 1 in 11.8 million per draw). */
export function uniqueNodeClaimName(nodePoolName: string, draw: () => string, taken: ReadonlySet<string>): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = nodeClaimName(nodePoolName, draw());
    if (!taken.has(name)) return name;
  }
  throw new Error(`could not find a free NodeClaim name for NodePool ${nodePoolName} in 20 draws`);
}
