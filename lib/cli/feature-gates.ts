/** `--feature-gates`: Karpenter's feature gates on the command line, read as the functions read FEATURE_GATES. */
import { parseFeatureGates, type FeatureGates } from "../ports/settings.ts";
import { UsageError } from "./io.ts";

/** `--feature-gates SpotToSpotConsolidation=true`: Karpenter's syntax, as the functions' FEATURE_GATES. */
export function featureGatesFlag(text: string | undefined): FeatureGates | undefined {
  if (text === undefined) return undefined;
  const { gates, problems } = parseFeatureGates(text, "--feature-gates", "--feature-gates");
  if (problems.length > 0) throw new UsageError(`--feature-gates: ${problems.map((p) => p.reason).join("; ")}`);
  return gates;
}
