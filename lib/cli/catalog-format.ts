/**
 * The instance-type catalog file format of `--instance-types` (spec/simulate.md, "Instance-type
 * catalog") and its conversion to and from the InstanceType model.
 *
 * An entry holds capacity and overhead as quantity strings, labels (single-valued requirements),
 * extra requirements (multi-valued, DoesNotExist, ...) and offerings. The requirements on
 * instance type, zone, zone id and capacity type are implied: they follow from the name and the
 * available offerings, so entries never spell them out.
 */
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE, LABEL_ZONE_ID } from "../api/labels.ts";
import type { NodeSelectorRequirement, Operator } from "../api/types.ts";
import { OPERATORS } from "../api/types.ts";
import { InputError, type InputProblem } from "../errors.ts";
import { parseQuantity, QuantityError, toResourceNumber } from "../quantity/quantity.ts";
import { addResources, formatResources, type Resources } from "../quantity/resources.ts";
import type { CapacityType, InstanceType, Offering } from "../ports/instance-type.ts";

export interface CatalogOfferingEntry {
  zone: string;
  zoneId?: string;
  capacityType: CapacityType;
  price: number;
  available?: boolean;
  reservationId?: string;
}

export interface CatalogEntry {
  name: string;
  capacity: Record<string, string>;
  overhead?: Record<string, string>;
  requirements?: NodeSelectorRequirement[];
  labels?: Record<string, string>;
  offerings: CatalogOfferingEntry[];
}

/** Keys the catalog derives from the name and the available offerings. */
const IMPLIED_KEYS = new Set([LABEL_INSTANCE_TYPE, LABEL_ZONE, LABEL_ZONE_ID, LABEL_CAPACITY_TYPE]);
const CAPACITY_TYPES: readonly CapacityType[] = ["reserved", "spot", "on-demand"];
const DEFAULT_PODS = 110;
/** Fields an entry may have; `allocatable` is what `tenon instance-types -o json` adds, ignored here. */
const ENTRY_FIELDS = new Set(["name", "capacity", "overhead", "requirements", "labels", "offerings", "allocatable"]);
const OFFERING_FIELDS = new Set(["zone", "zoneId", "capacityType", "price", "available", "reservationId"]);

export function toCatalogEntry(it: InstanceType): CatalogEntry {
  const overhead = addResources(it.overhead.kubeReserved, it.overhead.systemReserved, it.overhead.evictionThreshold);
  for (const key of Object.keys(overhead)) if (overhead[key] === 0) delete overhead[key];
  const requirements = it.requirements.filter(
    (r) => !IMPLIED_KEYS.has(r.key) && !(r.operator === "In" && r.values?.length === 1 && it.labels[r.key] === r.values[0]),
  );
  const offerings = it.offerings.map((o): CatalogOfferingEntry => ({
    zone: o.zone,
    ...(o.zoneId ? { zoneId: o.zoneId } : {}),
    capacityType: o.capacityType,
    price: o.price,
    available: o.available,
    ...(o.reservationId ? { reservationId: o.reservationId } : {}),
  }));
  return {
    name: it.name,
    capacity: formatResources(it.capacity),
    ...(Object.keys(overhead).length > 0 ? { overhead: formatResources(overhead) } : {}),
    ...(requirements.length > 0 ? { requirements: requirements.map((r) => ({ ...r, ...(r.values ? { values: [...r.values] } : {}) })) } : {}),
    labels: { ...it.labels },
    offerings,
  };
}

/** Collects problems for one entry so a user sees all of them at once. */
class EntryReader {
  readonly problems: InputProblem[] = [];
  constructor(public object: string) {}
  problem(path: string, reason: string): void {
    this.problems.push({ object: this.object, path, reason });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? "missing" : JSON.stringify(value);
}

function readResourceMap(r: EntryReader, path: string, value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isRecord(value)) {
    r.problem(path, `${describe(value)} is not a map of resource name to quantity`);
    return out;
  }
  for (const [name, quantity] of Object.entries(value)) {
    try {
      if (typeof quantity !== "string" && typeof quantity !== "number") throw new QuantityError(String(quantity), "expected a string or number");
      const number = toResourceNumber(name, parseQuantity(quantity));
      if (number < 0) r.problem(`${path}.${name}`, `${JSON.stringify(quantity)} is negative`);
      else out[name] = number;
    } catch (error) {
      if (!(error instanceof QuantityError)) throw error;
      r.problem(`${path}.${name}`, error.message);
    }
  }
  return out;
}

function readLabels(r: EntryReader, value: unknown, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  if (!isRecord(value)) {
    r.problem("labels", `${describe(value)} is not a map of label to value`);
    return out;
  }
  for (const [key, label] of Object.entries(value)) {
    if (typeof label !== "string") r.problem(`labels.${key}`, `${describe(label)} is not a string`);
    else if (key === LABEL_INSTANCE_TYPE && label !== name) r.problem(`labels.${key}`, `"${label}" differs from the entry's name "${name}"`);
    else if (IMPLIED_KEYS.has(key) && key !== LABEL_INSTANCE_TYPE) r.problem(`labels.${key}`, "is implied by the offerings; leave it out");
    else out[key] = label;
  }
  return out;
}

function readRequirements(r: EntryReader, value: unknown, labels: Record<string, string>): NodeSelectorRequirement[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    r.problem("requirements", `${describe(value)} is not a list`);
    return [];
  }
  const out: NodeSelectorRequirement[] = [];
  value.forEach((raw: unknown, i) => {
    const path = `requirements[${i}]`;
    if (!isRecord(raw)) return r.problem(path, `${describe(raw)} is not an object`);
    const { key, operator, values } = raw;
    if (typeof key !== "string" || key === "") return r.problem(`${path}.key`, `${describe(key)} is not a label key`);
    if (IMPLIED_KEYS.has(key)) return r.problem(`${path}.key`, `"${key}" is implied by the name and offerings; leave it out`);
    if (key in labels) return r.problem(`${path}.key`, `"${key}" is already set in labels`);
    if (!OPERATORS.includes(operator as Operator)) return r.problem(`${path}.operator`, `${describe(operator)} is not one of ${OPERATORS.join(", ")}`);
    if (values !== undefined && !(Array.isArray(values) && values.every((v) => typeof v === "string"))) {
      return r.problem(`${path}.values`, `${describe(values)} is not a list of strings`);
    }
    const requirement: NodeSelectorRequirement = { key, operator: operator as Operator };
    if (values !== undefined) requirement.values = [...(values as string[])];
    out.push(requirement);
  });
  return out;
}

function readOfferings(r: EntryReader, value: unknown): Offering[] {
  if (!Array.isArray(value)) {
    r.problem("offerings", `${describe(value)} is not a list`);
    return [];
  }
  const out: Offering[] = [];
  value.forEach((raw: unknown, i) => {
    const path = `offerings[${i}]`;
    if (!isRecord(raw)) return r.problem(path, `${describe(raw)} is not an object`);
    const problemsBefore = r.problems.length;
    for (const field of Object.keys(raw)) if (!OFFERING_FIELDS.has(field)) r.problem(`${path}.${field}`, "is not a field of an offering");
    const { zone, zoneId, capacityType, price, available, reservationId } = raw;
    if (typeof zone !== "string" || zone === "") r.problem(`${path}.zone`, `${describe(zone)} is not a zone name`);
    if (zoneId !== undefined && (typeof zoneId !== "string" || zoneId === "")) r.problem(`${path}.zoneId`, `${describe(zoneId)} is not a zone id`);
    if (!CAPACITY_TYPES.includes(capacityType as CapacityType)) r.problem(`${path}.capacityType`, `${describe(capacityType)} is not one of ${CAPACITY_TYPES.join(", ")}`);
    if (typeof price !== "number" || !Number.isFinite(price) || price < 0) r.problem(`${path}.price`, `${describe(price)} is not a price >= 0`);
    if (available !== undefined && typeof available !== "boolean") r.problem(`${path}.available`, `${describe(available)} is not true or false`);
    if (reservationId !== undefined && (typeof reservationId !== "string" || capacityType !== "reserved")) {
      r.problem(`${path}.reservationId`, "is allowed only as a string on a reserved offering");
    }
    if (r.problems.length > problemsBefore) return;
    const offering: Offering = { zone: zone as string, capacityType: capacityType as CapacityType, price: price as number, available: (available as boolean | undefined) ?? true };
    if (zoneId !== undefined) offering.zoneId = zoneId as string;
    if (reservationId !== undefined) offering.reservationId = reservationId as string;
    out.push(offering);
  });
  return out;
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Requirements the catalog implies from the name and the available offerings. */
export function impliedRequirements(offerings: readonly Offering[]): NodeSelectorRequirement[] {
  const available = offerings.filter((o) => o.available);
  const out: NodeSelectorRequirement[] = [
    { key: LABEL_ZONE, operator: "In", values: uniqueSorted(available.map((o) => o.zone)) },
    { key: LABEL_CAPACITY_TYPE, operator: "In", values: uniqueSorted(available.map((o) => o.capacityType)) },
  ];
  const zoneIds = uniqueSorted(available.flatMap((o) => (o.zoneId ? [o.zoneId] : [])));
  if (zoneIds.length > 0) out.push({ key: LABEL_ZONE_ID, operator: "In", values: zoneIds });
  return out;
}

function allocatable(capacity: Resources, overhead: Resources): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(capacity)) out[name] = Math.max(0, capacity[name]! - (overhead[name] ?? 0));
  return out;
}

/**
 * Converts one parsed JSON entry into an InstanceType. `where` names its place for errors, e.g.
 * `catalog.json entry 3`. Throws InputError listing every problem of the entry.
 */
export function fromCatalogEntry(entry: unknown, where: string): InstanceType {
  if (!isRecord(entry)) throw new InputError({ object: where, path: "", reason: `${describe(entry)} is not an instance type object` });
  const name = entry.name;
  const r = new EntryReader(typeof name === "string" && name !== "" ? `instance type ${name} (${where})` : where);
  if (typeof name !== "string" || name === "") r.problem("name", `${describe(name)} is not an instance type name`);
  for (const field of Object.keys(entry)) if (!ENTRY_FIELDS.has(field)) r.problem(field, `is not a field of a catalog entry (${[...ENTRY_FIELDS].join(", ")})`);
  const capacity = readResourceMap(r, "capacity", entry.capacity);
  if (!("pods" in capacity)) capacity.pods = DEFAULT_PODS;
  const overhead = entry.overhead === undefined ? {} : readResourceMap(r, "overhead", entry.overhead);
  const labels = readLabels(r, entry.labels, String(name));
  const extra = readRequirements(r, entry.requirements, labels);
  const offerings = readOfferings(r, entry.offerings);
  if (r.problems.length > 0) throw new InputError(r.problems);
  const fullLabels: Record<string, string> = { [LABEL_INSTANCE_TYPE]: name as string, ...labels };
  const requirements: NodeSelectorRequirement[] = [
    ...Object.keys(fullLabels)
      .sort()
      .map((key): NodeSelectorRequirement => ({ key, operator: "In", values: [fullLabels[key]!] })),
    ...extra,
    ...impliedRequirements(offerings),
  ];
  return {
    name: name as string,
    capacity,
    overhead: { kubeReserved: overhead, systemReserved: {}, evictionThreshold: {} },
    allocatable: allocatable(capacity, overhead),
    requirements,
    labels: fullLabels,
    offerings,
  };
}

/** Parses a whole catalog file: a JSON array of entries. Names must be unique. */
export function parseCatalogJson(text: string, source: string): InstanceType[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError({ object: source, path: "", reason: `not valid JSON: ${(error as Error).message}` });
  }
  if (!Array.isArray(parsed)) throw new InputError({ object: source, path: "", reason: "expected a JSON array of instance types" });
  const problems: InputProblem[] = [];
  const out: InstanceType[] = [];
  const seen = new Map<string, number>();
  parsed.forEach((entry: unknown, i) => {
    const where = `${source} entry ${i + 1}`;
    try {
      const it = fromCatalogEntry(entry, where);
      const first = seen.get(it.name);
      if (first !== undefined) problems.push({ object: `instance type ${it.name} (${where})`, path: "name", reason: `duplicates entry ${first}` });
      else seen.set(it.name, i + 1);
      out.push(it);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  return out;
}
