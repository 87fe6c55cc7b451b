/** EC2NodeClass `spec.blockDeviceMappings`, checked as the AWS provider's CRD checks them. */
import type { BlockDeviceMapping } from "./types.ts";
import { child, quote, type Problems } from "./fields.ts";

const VOLUME_TYPES = ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"] as const;
/** The largest EBS volume the CRD allows, per suffix (64 TB, written four ways). */
const VOLUME_SIZE_LIMITS: Record<string, number> = { Gi: 59000, G: 64000, Ti: 58, T: 64 };

/** Why `size` is not an EBS volume size Karpenter accepts (a whole number of G, Gi, T or Ti). */
export function volumeSizeProblem(size: string): string | undefined {
  const match = /^([1-9][0-9]*)(Gi|G|Ti|T)$/.exec(size);
  if (!match) return `${quote(size)} is not a volume size like 20Gi (a whole number of G, Gi, T or Ti)`;
  const limit = VOLUME_SIZE_LIMITS[match[2]!]!;
  if (Number(match[1]) > limit) return `${quote(size)} is larger than the maximum ${limit}${match[2]}`;
  return undefined;
}

const EBS_FIELDS = ["volumeSize", "volumeType", "iops", "throughput", "encrypted", "kmsKeyID", "snapshotID", "deleteOnTermination", "volumeInitializationRate"];

function parseEbs(raw: unknown, path: string, problems: Problems): BlockDeviceMapping["ebs"] | undefined {
  const ebs = problems.record(raw, path);
  if (!ebs) return undefined;
  problems.unknownFields(ebs, path, EBS_FIELDS);
  const out: NonNullable<BlockDeviceMapping["ebs"]> = {};
  const volumeSize = problems.string(ebs["volumeSize"], child(path, "volumeSize"));
  if (volumeSize !== undefined) {
    const problem = volumeSizeProblem(volumeSize);
    if (problem) problems.add(child(path, "volumeSize"), problem);
    else out.volumeSize = volumeSize;
  }
  const volumeType = problems.oneOf(ebs["volumeType"], child(path, "volumeType"), VOLUME_TYPES);
  if (volumeType) out.volumeType = volumeType;
  const iops = problems.integer(ebs["iops"], child(path, "iops"));
  if (iops !== undefined) out.iops = iops;
  const throughput = problems.integer(ebs["throughput"], child(path, "throughput"));
  if (throughput !== undefined) out.throughput = throughput;
  const rate = problems.integer(ebs["volumeInitializationRate"], child(path, "volumeInitializationRate"), 100, 300);
  if (rate !== undefined) out.volumeInitializationRate = rate;
  for (const field of ["encrypted", "deleteOnTermination"] as const) {
    const value = problems.boolean(ebs[field], child(path, field));
    if (value !== undefined) out[field] = value;
  }
  for (const field of ["kmsKeyID", "snapshotID"] as const) {
    const value = problems.string(ebs[field], child(path, field));
    if (value !== undefined) out[field] = value;
  }
  if (ebs["snapshotID"] === undefined && ebs["volumeSize"] === undefined) problems.add(path, "snapshotID or volumeSize must be defined");
  if (ebs["volumeInitializationRate"] !== undefined && !ebs["snapshotID"]) problems.add(path, "snapshotID must be set when volumeInitializationRate is set");
  return out;
}

export function parseBlockDeviceMappings(raw: unknown, path: string, problems: Problems): BlockDeviceMapping[] | undefined {
  const items = problems.array(raw, path, 50);
  if (!items) return undefined;
  const before = problems.list.length;
  const out: BlockDeviceMapping[] = [];
  items.forEach((item, i) => {
    const at = child(path, i);
    const mapping = problems.requiredRecord(item, at);
    if (!mapping) return;
    problems.unknownFields(mapping, at, ["deviceName", "rootVolume", "ebs"]);
    const deviceName = problems.string(mapping["deviceName"], child(at, "deviceName"));
    const rootVolume = problems.boolean(mapping["rootVolume"], child(at, "rootVolume"));
    const ebs = parseEbs(mapping["ebs"], child(at, "ebs"), problems);
    out.push({ ...(deviceName !== undefined ? { deviceName } : {}), ...(rootVolume !== undefined ? { rootVolume } : {}), ...(ebs ? { ebs } : {}) });
  });
  if (out.filter((mapping) => mapping.rootVolume === true).length > 1) problems.add(path, "must have only one blockDeviceMappings with rootVolume");
  return problems.list.length > before ? undefined : out;
}
