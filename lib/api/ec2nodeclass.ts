/**
 * EC2NodeClass (karpenter.k8s.aws/v1): parsing, the CRD's defaults (metadataOptions, amiFamily
 * from the alias) and validation mirroring the AWS provider's CRD schema and CEL rules.
 * Unknown fields in `spec` are problems, for the reason given in nodepool.ts; `spec.kubelet` is an
 * open map (see kubelet.ts). `status` is kept as given: nothing decides on it offline.
 */
import { InputError, type InputProblem } from "../errors.ts";
import type { AMIFamily, AMISelectorTerm, BlockDeviceMapping, EC2NodeClass, EC2NodeClassSpec, MetadataOptions, SelectorTerm } from "./types.ts";
import { Problems, withoutNulls, child, isRecord, objectLabel, quote, type Json } from "./fields.ts";
import { checkHeader, parseMetadata } from "./common.ts";
import { parseKubelet } from "./kubelet.ts";
import { parseBlockDeviceMappings } from "./block-devices.ts";
import { aliasFamily as familyOfAlias, ALIAS_FAMILIES, AMI_FAMILIES } from "./ami-family.ts";

export const EC2NODECLASS_API_VERSION = "karpenter.k8s.aws/v1";

export const DEFAULT_METADATA_OPTIONS: Readonly<MetadataOptions> = Object.freeze({
  httpEndpoint: "enabled",
  httpProtocolIPv6: "disabled",
  httpPutResponseHopLimit: 1,
  httpTokens: "required",
});

const SPEC_FIELDS = [
  "subnetSelectorTerms", "securityGroupSelectorTerms", "amiSelectorTerms", "capacityReservationSelectorTerms", "placementGroupSelector",
  "amiFamily", "role", "instanceProfile", "userData", "tags", "kubelet", "blockDeviceMappings", "instanceStorePolicy", "metadataOptions",
  "associatePublicIPAddress", "detailedMonitoring", "context", "ipPrefixCount", "networkInterfaces", "connectionTracking", "cpuOptions",
];

/** Tags Karpenter sets on every instance, and Tenon's own (its ownership tag); a user may not set them. */
const RESTRICTED_TAGS: ReadonlyArray<[(key: string) => boolean, string]> = [
  [(key) => key.startsWith("tenon.sh/"), "tenon.sh/"],
  [(key) => key === "eks:eks-cluster-name", "eks:eks-cluster-name"],
  [(key) => key.startsWith("kubernetes.io/cluster"), "kubernetes.io/cluster/"],
  [(key) => key === "karpenter.sh/nodepool", "karpenter.sh/nodepool"],
  [(key) => key === "karpenter.sh/nodeclaim", "karpenter.sh/nodeclaim"],
  [(key) => key === "karpenter.k8s.aws/ec2nodeclass", "karpenter.k8s.aws/ec2nodeclass"],
];

function selectorTags(raw: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  const tags = problems.stringMap(raw, path, 20);
  if (tags && Object.entries(tags).some(([key, value]) => key === "" || value === "")) {
    return problems.add(path, "empty tag keys or values aren't supported");
  }
  return tags;
}

interface TermRules {
  name: string;
  fields: readonly string[];
  /** Fields of which at least one must be set. */
  anyOf: readonly string[];
  /** Field -> the fields it may not be combined with. */
  exclusive: Readonly<Record<string, readonly string[]>>;
  idPattern?: RegExp;
}

function parseTerms<T extends object>(raw: unknown, path: string, problems: Problems, rules: TermRules, required: boolean): T[] | undefined {
  if (raw === undefined || raw === null) return required ? problems.add(path, "is required") : undefined;
  const items = problems.array(raw, path, 30);
  if (!items) return undefined;
  if (required && items.length === 0) return problems.add(path, `${path.split(".").pop()} cannot be empty`);
  const before = problems.list.length;
  const out: T[] = [];
  items.forEach((rawTerm, i) => {
    const at = child(path, i);
    const term = problems.requiredRecord(rawTerm, at);
    if (!term) return;
    problems.unknownFields(term, at, rules.fields);
    const set = rules.fields.filter((field) => term[field] !== undefined);
    if (!rules.anyOf.some((field) => set.includes(field))) {
      problems.add(at, `expected at least one, got none, [${rules.anyOf.map((f) => `'${f}'`).join(", ")}]`);
    }
    for (const [field, others] of Object.entries(rules.exclusive)) {
      if (set.includes(field) && others.some((other) => set.includes(other))) {
        problems.add(at, `'${field}' is mutually exclusive, cannot be set with a combination of other fields in ${rules.name}`);
      }
    }
    const value: Record<string, unknown> = {};
    for (const field of set) {
      if (field === "tags") value[field] = selectorTags(term[field], child(at, field), problems);
      else value[field] = problems.string(term[field], child(at, field));
    }
    const id = value["id"];
    if (rules.idPattern && typeof id === "string" && !rules.idPattern.test(id)) {
      problems.add(child(at, "id"), `${quote(id)} does not match ${rules.idPattern.source}`);
    }
    out.push(value as T);
  });
  return problems.list.length > before ? undefined : out;
}

const SUBNET_TERMS: TermRules = { name: "a subnet selector term", fields: ["tags", "id"], anyOf: ["tags", "id"], exclusive: { id: ["tags"] }, idPattern: /^subnet-[0-9a-z]+$/ };
const SECURITY_GROUP_TERMS: TermRules = {
  name: "a security group selector term",
  fields: ["tags", "id", "name"],
  anyOf: ["tags", "id", "name"],
  exclusive: { id: ["tags", "name"], name: ["tags", "id"] },
  idPattern: /^sg-[0-9a-z]+$/,
};
const AMI_TERMS: TermRules = {
  name: "amiSelectorTerms",
  fields: ["alias", "tags", "id", "name", "owner", "ssmParameter"],
  anyOf: ["tags", "id", "name", "alias", "ssmParameter"],
  exclusive: { id: ["alias", "tags", "name", "owner"], alias: ["id", "tags", "name", "owner"] },
  idPattern: /^ami-[0-9a-z]+$/,
};
const CAPACITY_RESERVATION_TERMS: TermRules = {
  name: "a capacity reservation selector term",
  fields: ["tags", "id", "ownerID", "instanceMatchCriteria"],
  anyOf: ["tags", "id", "instanceMatchCriteria"],
  exclusive: { id: ["tags", "ownerID", "instanceMatchCriteria"] },
  idPattern: /^cr-[0-9a-z]+$/,
};

/** Checks aliases and works out the AMI family: the one given, else the alias's. */
function resolveAmiFamily(terms: AMISelectorTerm[], rawFamily: unknown, problems: Problems): AMIFamily | undefined {
  const given = problems.oneOf(rawFamily, "spec.amiFamily", AMI_FAMILIES);
  let aliasFamily: AMIFamily | undefined;
  if (terms.length > 1 && terms.some((term) => term.alias !== undefined)) {
    problems.add("spec.amiSelectorTerms", "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms");
  }
  terms.forEach((term, i) => {
    if (term.alias === undefined) return;
    const at = `spec.amiSelectorTerms[${i}].alias`;
    if (term.alias.length > 30) return problems.add(at, `${quote(term.alias)} is longer than 30 characters`);
    if (!/^[a-zA-Z0-9]+@.+$/.test(term.alias)) return problems.add(at, "'alias' is improperly formatted, must match the format 'family@version'");
    const [family = "", version] = [term.alias.slice(0, term.alias.indexOf("@")), term.alias.slice(term.alias.indexOf("@") + 1)];
    aliasFamily = familyOfAlias(family);
    if (!aliasFamily) {
      return problems.add(at, `family ${quote(family)} is not supported, must be one of ${Object.keys(ALIAS_FAMILIES).join(", ")}`);
    }
    if (family.startsWith("windows") && version !== "latest") problems.add(at, "windows families may only specify version 'latest'");
    return undefined;
  });
  if (aliasFamily && given && given !== "Custom" && given !== aliasFamily) {
    problems.add("spec.amiFamily", `if set, amiFamily must be '${aliasFamily}' or 'Custom' when using an ${aliasFamily} alias`);
  }
  if (!terms.some((term) => term.alias !== undefined) && rawFamily === undefined) {
    problems.add("spec.amiFamily", "must specify amiFamily if amiSelectorTerms does not contain an alias");
  }
  return given ?? aliasFamily;
}

function parseMetadataOptions(raw: unknown, problems: Problems): MetadataOptions | undefined {
  const path = "spec.metadataOptions";
  const options = raw === undefined ? {} : problems.record(raw, path);
  if (!options) return undefined;
  problems.unknownFields(options, path, ["httpEndpoint", "httpProtocolIPv6", "httpPutResponseHopLimit", "httpTokens"]);
  const httpEndpoint = problems.oneOf(options["httpEndpoint"], `${path}.httpEndpoint`, ["enabled", "disabled"] as const);
  const httpProtocolIPv6 = problems.oneOf(options["httpProtocolIPv6"], `${path}.httpProtocolIPv6`, ["enabled", "disabled"] as const);
  const hopLimit = problems.integer(options["httpPutResponseHopLimit"], `${path}.httpPutResponseHopLimit`, 1, 64);
  const httpTokens = problems.oneOf(options["httpTokens"], `${path}.httpTokens`, ["required", "optional"] as const);
  return {
    httpEndpoint: httpEndpoint ?? DEFAULT_METADATA_OPTIONS.httpEndpoint,
    httpProtocolIPv6: httpProtocolIPv6 ?? DEFAULT_METADATA_OPTIONS.httpProtocolIPv6,
    httpPutResponseHopLimit: hopLimit ?? DEFAULT_METADATA_OPTIONS.httpPutResponseHopLimit,
    httpTokens: httpTokens ?? DEFAULT_METADATA_OPTIONS.httpTokens,
  };
}

function parseInstanceTags(raw: unknown, problems: Problems): Record<string, string> | undefined {
  if (raw === undefined) return {};
  const tags = problems.stringMap(raw, "spec.tags");
  if (!tags) return undefined;
  const before = problems.list.length;
  for (const key of Object.keys(tags)) {
    if (key === "") problems.add("spec.tags", "empty tag keys aren't supported");
    const restricted = RESTRICTED_TAGS.find(([matches]) => matches(key));
    if (restricted) problems.add(child("spec.tags", key), `tag contains a restricted tag matching ${restricted[1]}`);
  }
  return problems.list.length > before ? undefined : tags;
}

type NetworkInterface = NonNullable<EC2NodeClassSpec["networkInterfaces"]>[number];

function parseNetworkInterfaces(raw: unknown, problems: Problems): NetworkInterface[] | undefined {
  const path = "spec.networkInterfaces";
  const items = problems.array(raw, path, 150);
  if (!items) return undefined;
  const before = problems.list.length;
  const out: NetworkInterface[] = [];
  items.forEach((item, i) => {
    const at = child(path, i);
    const nic = problems.requiredRecord(item, at);
    if (!nic) return;
    problems.unknownFields(nic, at, ["networkCardIndex", "deviceIndex", "interfaceType"]);
    for (const field of ["networkCardIndex", "deviceIndex", "interfaceType"]) if (nic[field] === undefined) problems.add(child(at, field), "is required");
    const networkCardIndex = problems.integer(nic["networkCardIndex"], child(at, "networkCardIndex"), 0);
    const deviceIndex = problems.integer(nic["deviceIndex"], child(at, "deviceIndex"), 0);
    const interfaceType = problems.oneOf(nic["interfaceType"], child(at, "interfaceType"), ["interface", "efa-only"] as const);
    if (networkCardIndex !== undefined && deviceIndex !== undefined && interfaceType !== undefined) out.push({ networkCardIndex, deviceIndex, interfaceType });
  });
  if (problems.list.length > before) return undefined;
  if (out.length > 0 && !out.some((n) => n.networkCardIndex === 0 && n.deviceIndex === 0 && n.interfaceType === "interface")) {
    return problems.add(path, "networkInterfaces must include a primary interface with interfaceType='interface'");
  }
  const duplicate = out.some((a, i) => out.some((b, j) => i !== j && a.networkCardIndex === b.networkCardIndex && (a.deviceIndex === b.deviceIndex || (a.interfaceType === "efa-only" && b.interfaceType === "efa-only"))));
  if (duplicate) return problems.add(path, "networkInterfaces must not have duplicate networkCardIndex and deviceIndex pairs, and can have at most one efa device per network card");
  return out;
}

/**
 * Fields Karpenter accepts that no Tenon launch applies yet. Each is still checked as Karpenter
 * checks it; a valid one is then refused rather than silently ignored at launch.
 */
const UNSUPPORTED_NODECLASS_FIELDS = ["placementGroupSelector", "ipPrefixCount", "connectionTracking", "cpuOptions"] as const;

function refuseUnsupported(spec: Json, problems: Problems, field: (typeof UNSUPPORTED_NODECLASS_FIELDS)[number]): void {
  const path = `spec.${field}`;
  if (spec[field] === undefined || problems.list.some((p) => p.path === path || p.path.startsWith(`${path}.`))) return;
  problems.add(path, "not supported by Tenon yet: its launches would ignore it; remove the field");
}

function parseSmallObjects(spec: Json, problems: Problems, out: Partial<EC2NodeClassSpec>): void {
  const pg = problems.record(spec["placementGroupSelector"], "spec.placementGroupSelector");
  if (pg) {
    problems.unknownFields(pg, "spec.placementGroupSelector", ["id", "name"]);
    const id = problems.string(pg["id"], "spec.placementGroupSelector.id");
    const name = problems.nonEmptyString(pg["name"], "spec.placementGroupSelector.name", false);
    if (id !== undefined && !/^pg-[0-9a-z]+$/.test(id)) problems.add("spec.placementGroupSelector.id", `${quote(id)} does not match ^pg-[0-9a-z]+$`);
    if (pg["id"] === undefined && pg["name"] === undefined) problems.add("spec.placementGroupSelector", "expected at least one, got none, ['name', 'id']");
    if (pg["id"] !== undefined && pg["name"] !== undefined) problems.add("spec.placementGroupSelector", "'name' and 'id' are mutually exclusive");
    out.placementGroupSelector = { ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}) };
  }
  const ct = problems.record(spec["connectionTracking"], "spec.connectionTracking");
  if (ct) {
    problems.unknownFields(ct, "spec.connectionTracking", ["tcpEstablishedTimeout", "udpStreamTimeout", "udpTimeout"]);
    const tcpEstablishedTimeout = problems.integer(ct["tcpEstablishedTimeout"], "spec.connectionTracking.tcpEstablishedTimeout", 60, 432000);
    const udpStreamTimeout = problems.integer(ct["udpStreamTimeout"], "spec.connectionTracking.udpStreamTimeout", 60, 180);
    const udpTimeout = problems.integer(ct["udpTimeout"], "spec.connectionTracking.udpTimeout", 30, 60);
    if (Object.keys(ct).length === 0) problems.add("spec.connectionTracking", "at least one of tcpEstablishedTimeout, udpStreamTimeout, or udpTimeout must be set");
    out.connectionTracking = {
      ...(tcpEstablishedTimeout !== undefined ? { tcpEstablishedTimeout } : {}),
      ...(udpStreamTimeout !== undefined ? { udpStreamTimeout } : {}),
      ...(udpTimeout !== undefined ? { udpTimeout } : {}),
    };
  }
  const cpu = problems.record(spec["cpuOptions"], "spec.cpuOptions");
  if (cpu) {
    problems.unknownFields(cpu, "spec.cpuOptions", ["nestedVirtualization"]);
    const nestedVirtualization = problems.oneOf(cpu["nestedVirtualization"], "spec.cpuOptions.nestedVirtualization", ["enabled", "disabled"] as const);
    out.cpuOptions = nestedVirtualization ? { nestedVirtualization } : {};
  }
}

function parseSpec(raw: unknown, problems: Problems): EC2NodeClassSpec | undefined {
  const spec = problems.requiredRecord(raw, "spec");
  if (!spec) return undefined;
  const before = problems.list.length;
  problems.unknownFields(spec, "spec", SPEC_FIELDS);
  const subnetSelectorTerms = parseTerms<SelectorTerm>(spec["subnetSelectorTerms"], "spec.subnetSelectorTerms", problems, SUBNET_TERMS, true);
  const securityGroupSelectorTerms = parseTerms<SelectorTerm>(spec["securityGroupSelectorTerms"], "spec.securityGroupSelectorTerms", problems, SECURITY_GROUP_TERMS, true);
  const amiSelectorTerms = parseTerms<AMISelectorTerm>(spec["amiSelectorTerms"], "spec.amiSelectorTerms", problems, AMI_TERMS, true);
  // With broken terms the family can't be worked out, but a bad amiFamily is still reported now, not on the next try.
  const amiFamily = amiSelectorTerms
    ? resolveAmiFamily(amiSelectorTerms, spec["amiFamily"], problems)
    : spec["amiFamily"] !== undefined
      ? void problems.oneOf(spec["amiFamily"], "spec.amiFamily", AMI_FAMILIES)
      : undefined;
  const capacityReservationSelectorTerms = parseTerms<NonNullable<EC2NodeClassSpec["capacityReservationSelectorTerms"]>[number]>(
    spec["capacityReservationSelectorTerms"], "spec.capacityReservationSelectorTerms", problems, CAPACITY_RESERVATION_TERMS, false);
  capacityReservationSelectorTerms?.forEach((term, i) => {
    const at = `spec.capacityReservationSelectorTerms[${i}]`;
    if (term.ownerID !== undefined && !/^[0-9]{12}$/.test(term.ownerID)) problems.add(`${at}.ownerID`, `${quote(term.ownerID)} is not a 12-digit AWS account ID`);
    if (term.instanceMatchCriteria !== undefined && !["open", "targeted"].includes(term.instanceMatchCriteria)) {
      problems.add(`${at}.instanceMatchCriteria`, `${quote(term.instanceMatchCriteria)} is not one of open, targeted`);
    }
  });

  const role = problems.nonEmptyString(spec["role"], "spec.role", false);
  const instanceProfile = problems.nonEmptyString(spec["instanceProfile"], "spec.instanceProfile", false);
  if ((spec["role"] === undefined) === (spec["instanceProfile"] === undefined)) problems.add("spec", "must specify exactly one of ['role', 'instanceProfile']");
  const tags = parseInstanceTags(spec["tags"], problems);
  const kubelet = parseKubelet(spec["kubelet"], "spec.kubelet", problems);
  const blockDeviceMappings: BlockDeviceMapping[] | undefined = parseBlockDeviceMappings(spec["blockDeviceMappings"], "spec.blockDeviceMappings", problems);
  const metadataOptions = parseMetadataOptions(spec["metadataOptions"], problems);
  const networkInterfaces = spec["networkInterfaces"] === undefined ? undefined : parseNetworkInterfaces(spec["networkInterfaces"], problems);
  const optional: Partial<EC2NodeClassSpec> = {};
  const userData = problems.string(spec["userData"], "spec.userData");
  const context = problems.string(spec["context"], "spec.context");
  const instanceStorePolicy = problems.oneOf(spec["instanceStorePolicy"], "spec.instanceStorePolicy", ["RAID0"] as const);
  const associatePublicIPAddress = problems.boolean(spec["associatePublicIPAddress"], "spec.associatePublicIPAddress");
  const detailedMonitoring = problems.boolean(spec["detailedMonitoring"], "spec.detailedMonitoring");
  const ipPrefixCount = problems.integer(spec["ipPrefixCount"], "spec.ipPrefixCount", 0);
  parseSmallObjects(spec, problems, optional);
  for (const field of UNSUPPORTED_NODECLASS_FIELDS) refuseUnsupported(spec, problems, field);
  if (problems.list.length > before || !subnetSelectorTerms || !securityGroupSelectorTerms || !amiSelectorTerms || !tags || !metadataOptions) return undefined;
  const set = <K extends keyof EC2NodeClassSpec>(key: K, value: EC2NodeClassSpec[K] | undefined) => {
    if (value !== undefined) optional[key] = value;
  };
  set("capacityReservationSelectorTerms", capacityReservationSelectorTerms);
  set("amiFamily", amiFamily);
  set("role", role);
  set("instanceProfile", instanceProfile);
  set("userData", userData);
  set("kubelet", kubelet);
  set("blockDeviceMappings", blockDeviceMappings);
  set("instanceStorePolicy", instanceStorePolicy);
  set("associatePublicIPAddress", associatePublicIPAddress);
  set("detailedMonitoring", detailedMonitoring);
  set("context", context);
  set("ipPrefixCount", ipPrefixCount);
  set("networkInterfaces", networkInterfaces);
  return { subnetSelectorTerms, securityGroupSelectorTerms, amiSelectorTerms, tags, metadataOptions, ...optional };
}

/** Validates an EC2NodeClass document, returning the defaulted object when it has no problems. */
export function validateEC2NodeClass(raw: unknown): { value?: EC2NodeClass; problems: InputProblem[] } {
  raw = withoutNulls(raw);
  const problems = new Problems(objectLabel("EC2NodeClass", raw));
  if (!isRecord(raw)) {
    problems.add("", "must be an object");
    return { problems: problems.list };
  }
  checkHeader(raw, problems, EC2NODECLASS_API_VERSION, "EC2NodeClass");
  const metadata = parseMetadata(raw["metadata"], problems);
  const spec = parseSpec(raw["spec"], problems);
  if (!problems.empty || !metadata || !spec) return { problems: problems.list };
  const value: EC2NodeClass = { apiVersion: EC2NODECLASS_API_VERSION, kind: "EC2NodeClass", metadata, spec };
  if (isRecord(raw["status"])) value.status = raw["status"] as EC2NodeClass["status"];
  return { value, problems: [] };
}

/** Parses an EC2NodeClass; throws InputError carrying every problem found. */
export function parseEC2NodeClass(raw: unknown): EC2NodeClass {
  const { value, problems } = validateEC2NodeClass(raw);
  if (!value) throw new InputError(problems);
  return value;
}
