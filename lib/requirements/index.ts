/** The requirement algebra: label constraints, their intersection and compatibility. */
export { Requirement, labelInteger } from "./requirement.ts";
export { Requirements, type AllowUndefined, type CompatibilityNames } from "./requirements.ts";
export { allowWellKnown, ALLOW_NONE } from "./well-known.ts";
