/** User data for a launch, by AMI family; base64 as EC2 wants it. */
import type { AMIFamily } from "../../../api/types.ts";
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
