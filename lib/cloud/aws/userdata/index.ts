/** User data for a launch, by AMI family; base64 as EC2 wants it. */
import type { AMIFamily, EC2NodeClass } from "../../../api/types.ts";
import { amiFamilyOf } from "../../../api/ami-family.ts";
import { isMimeDocument, parseMime } from "./mime.ts";
import { parseToml } from "./toml.ts";
import { al2023UserData } from "./al2023.ts";
import { bottlerocketUserData } from "./bottlerocket.ts";
import type { BootstrapInput } from "./common.ts";

export type { BootstrapInput } from "./common.ts";

/** Families Tenon can bootstrap. AL2 (bootstrap.sh) and Windows are not supported yet. */
export function supportsFamily(family: AMIFamily): boolean {
  return family === "AL2023" || family === "Bottlerocket" || family === "Custom";
}

export function renderUserData(family: AMIFamily, input: BootstrapInput): string {
  switch (family) {
    case "AL2023":
      return al2023UserData(input);
    case "Bottlerocket":
      return bottlerocketUserData(input);
    case "Custom":
      return input.userData ?? "";
    default:
      throw new Error(`AMI family ${family} is not supported by Tenon's user data (use AL2023, Bottlerocket or Custom)`);
  }
}

export function renderUserDataBase64(family: AMIFamily, input: BootstrapInput): string {
  return Buffer.from(renderUserData(family, input), "utf8").toString("base64");
}

/**
 * Why the NodeClass's user data can't be built, or undefined. Checked when the NodeClass is
 * resolved, so a bad NodeClass is reported not ready instead of failing every launch.
 */
export function userDataProblem(nodeClass: EC2NodeClass): string | undefined {
  const family = amiFamilyOf(nodeClass);
  if (!supportsFamily(family)) return `amiFamily ${family} is not supported by Tenon yet (use AL2023, Bottlerocket or Custom)`;
  const userData = nodeClass.spec.userData;
  if (!userData?.trim()) return undefined;
  try {
    if (family === "Bottlerocket") parseToml(userData);
    else if (family === "AL2023" && isMimeDocument(userData)) parseMime(userData);
  } catch (err) {
    return `spec.userData: not valid ${family === "Bottlerocket" ? "Bottlerocket TOML" : "MIME"}: ${(err as Error).message}`;
  }
  return undefined;
}
