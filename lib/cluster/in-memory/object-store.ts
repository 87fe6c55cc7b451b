/**
 * One kind of object held in memory the way the API server holds it: keyed by namespace/name,
 * stamped with a cluster-wide increasing resourceVersion on every write, handed out as copies
 * (callers can't mutate stored state), and listed in key order with limit/continue paging.
 * The continue token is the last key returned, as etcd's is, so objects added or removed
 * between pages never make a page skip or repeat the ones around them.
 */
import type { ObjectMeta } from "../../api/types.ts";
import type { ListOptions, Page } from "../../ports/cluster.ts";

export interface Stored {
  metadata: ObjectMeta;
}

/** Shared by every store of one cluster: resourceVersions and uids are cluster-wide. */
export class Revisions {
  private value = 0;
  next(): string {
    return String(++this.value);
  }
  current(): string {
    return String(this.value);
  }
}

export function objectKey(name: string, namespace?: string): string {
  return `${namespace ?? ""}/${name}`;
}

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export class ObjectStore<T extends Stored> {
  private readonly items = new Map<string, T>();
  /** Told of every write, with a copy of the object as written (deletions get a fresh resourceVersion). */
  onChange: ((type: ChangeType, object: T) => void) | undefined;

  constructor(
    private readonly revisions: Revisions,
    private readonly namespaced: boolean,
    private readonly nowIso: () => string,
  ) {}

  private keyOf(name: string, namespace?: string): string {
    return objectKey(name, this.namespaced ? namespace || "default" : undefined);
  }

  /** Creates or replaces; returns a copy of what is stored. */
  put(object: T): T {
    const copy = structuredClone(object);
    const meta = copy.metadata;
    if (this.namespaced) meta.namespace ||= "default";
    else delete meta.namespace;
    const key = this.keyOf(meta.name, meta.namespace);
    const previous = this.items.get(key);
    meta.uid ??= previous?.metadata.uid ?? `uid-${this.revisions.next()}`;
    meta.creationTimestamp ??= previous?.metadata.creationTimestamp ?? this.nowIso();
    meta.resourceVersion = this.revisions.next();
    this.items.set(key, copy);
    this.onChange?.(previous ? "MODIFIED" : "ADDED", structuredClone(copy));
    return structuredClone(copy);
  }

  /** Changes a stored object in place (bumping its resourceVersion); undefined when absent. */
  update(name: string, namespace: string | undefined, change: (object: T) => void): T | undefined {
    const stored = this.items.get(this.keyOf(name, namespace));
    if (!stored) return undefined;
    change(stored);
    stored.metadata.resourceVersion = this.revisions.next();
    this.onChange?.("MODIFIED", structuredClone(stored));
    return structuredClone(stored);
  }

  get(name: string, namespace?: string): T | undefined {
    const stored = this.items.get(this.keyOf(name, namespace));
    return stored ? structuredClone(stored) : undefined;
  }

  has(name: string, namespace?: string): boolean {
    return this.items.has(this.keyOf(name, namespace));
  }

  delete(name: string, namespace?: string): T | undefined {
    const key = this.keyOf(name, namespace);
    const stored = this.items.get(key);
    this.items.delete(key);
    if (stored && this.onChange) {
      const gone = structuredClone(stored);
      gone.metadata.resourceVersion = this.revisions.next();
      this.onChange("DELETED", gone);
    }
    return stored;
  }

  /** Stored objects themselves, for the simulation's own read-only use; do not mutate. */
  values(): readonly T[] {
    return [...this.items.values()];
  }

  size(): number {
    return this.items.size;
  }

  list(options: ListOptions | undefined, filter: (object: T) => boolean = () => true): Page<T> {
    const after = options?.continue ? Buffer.from(options.continue, "base64url").toString("utf8") : undefined;
    const keys = [...this.items.keys()].filter((k) => after === undefined || k > after).sort();
    const limit = options?.limit && options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY;
    const items: T[] = [];
    let lastKey: string | undefined;
    let more = false;
    for (const key of keys) {
      const object = this.items.get(key)!;
      if (!filter(object)) continue;
      if (items.length >= limit) {
        more = true;
        break;
      }
      items.push(structuredClone(object));
      lastKey = key;
    }
    const page: Page<T> = { items, resourceVersion: this.revisions.current() };
    if (more && lastKey !== undefined) page.continue = Buffer.from(lastKey).toString("base64url");
    return page;
  }
}
