/**
 * A small Kubernetes API server for HTTP-level tests of lib/cluster/kube/: `node:http` on 127.0.0.1:0,
 * implementing only what Tenon calls, with the semantics that matter for correctness:
 *  - continue tokens that can be expired on demand (410 Gone, as after an etcd compaction);
 *  - list with labelSelector (=, ==, !=, in, notin, exists, !exists), fieldSelector (=, ==, != on any dotted
 *    path, missing fields read as ""), limit/continue paging over a name-sorted list;
 *  - get, delete (404 when missing), create (events; 409 on a duplicate name);
 *  - patch by content type: merge patch (RFC 7386), strategic merge (maps merge, lists replace
 *    except `metadata.finalizers`, which merges by value, plus `$deleteFromPrimitiveList/`), JSON
 *    patch (RFC 6902 incl. `test`, whose failure answers 422); strategic merge on a custom
 *    object answers 415, as the real server does; `metadata.resourceVersion` in a merge patch
 *    body must match (409 otherwise);
 *  - status subresources: `/status` changes only `.status`, the main resource never does;
 *  - eviction: deletes the pod (201), or answers 429 when the test says a PDB blocks it;
 *  - watch (`watch=true`) on pods or nodes from a resourceVersion: replays later changes as JSON lines, then
 *    a BOOKMARK with the newest resourceVersion, then ends (as if `timeoutSeconds` had passed);
 *    `compactHistory()` makes older resourceVersions answer an ERROR event with a 410 Status;
 *  - bearer-token auth: when `validToken` is set, anything else answers 401; `forbid` answers 403.
 * Every request is recorded (method, path, query, content type, parsed body) for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

type Json = Record<string, unknown>;

/** Resource types this server knows, keyed by `<group>/<plural>` (core group is ""). */
const RESOURCES: Record<string, { kind: string; namespaced: boolean; hasStatus: boolean; custom: boolean }> = {
  "/pods": { kind: "Pod", namespaced: true, hasStatus: true, custom: false },
  "/nodes": { kind: "Node", namespaced: false, hasStatus: true, custom: false },
  "/events": { kind: "Event", namespaced: true, hasStatus: false, custom: false },
  "/persistentvolumeclaims": { kind: "PersistentVolumeClaim", namespaced: true, hasStatus: true, custom: false },
  "/persistentvolumes": { kind: "PersistentVolume", namespaced: false, hasStatus: true, custom: false },
  "apps/daemonsets": { kind: "DaemonSet", namespaced: true, hasStatus: true, custom: false },
  "policy/poddisruptionbudgets": { kind: "PodDisruptionBudget", namespaced: true, hasStatus: true, custom: false },
  "storage.k8s.io/storageclasses": { kind: "StorageClass", namespaced: false, hasStatus: false, custom: false },
  "storage.k8s.io/volumeattachments": { kind: "VolumeAttachment", namespaced: false, hasStatus: true, custom: false },
  "karpenter.sh/nodepools": { kind: "NodePool", namespaced: false, hasStatus: true, custom: true },
  "karpenter.k8s.aws/ec2nodeclasses": { kind: "EC2NodeClass", namespaced: false, hasStatus: true, custom: true },
  "karpenter.sh/nodeclaims": { kind: "NodeClaim", namespaced: false, hasStatus: true, custom: true },
  "coordination.k8s.io/leases": { kind: "Lease", namespaced: true, hasStatus: false, custom: false },
};

export interface FakeApiServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** When set, only `Bearer <validToken>` is accepted; everything else answers 401. */
  validToken: string | undefined;
  /** Return a reason to answer 403 Forbidden, as RBAC would. */
  forbid: ((method: string, path: string) => string | undefined) | undefined;
  /** Forgets pod and node change history, as etcd compaction does: older watches get a 410 ERROR event. */
  compactHistory(): void;
  /** Makes every continue token issued so far answer 410 Gone, as after an etcd compaction. */
  expireContinueTokens(): void;
  /** Return a message to make an eviction of this pod answer 429 (a PDB blocks it). */
  evictionBlocker: ((namespace: string, name: string) => string | undefined) | undefined;
  /** Stores an object (`resource` as `<group>/<plural>`, e.g. "/pods", "karpenter.sh/nodepools"). */
  put(resource: string, object: Json): Json;
  get(resource: string, name: string, namespace?: string): Json | undefined;
  list(resource: string): Json[];
  close(): Promise<void>;
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const store = new Map<string, Map<string, Json>>();
  let revision = 1;
  let tokenGeneration = 0;
  const requests: RecordedRequest[] = [];
  /** Watchable resources and their change history. */
  const history: Array<{ resource: string; rv: number; type: string; object: Json }> = [];
  const WATCHABLE = new Set(["/pods", "/nodes"]);
  let oldestRv = 0;
  const recordPod = (resource: string, type: string, object: Json) => {
    if (WATCHABLE.has(resource)) history.push({ resource, rv: Number((object.metadata as Json).resourceVersion), type, object: structuredClone(object) });
  };
  /** Removes and records a deletion with its own resourceVersion, as the API server does. */
  const remove = (resource: string, key: string) => {
    const gone = bucket(resource).get(key);
    bucket(resource).delete(key);
    if (gone) recordPod(resource, "DELETED", stamp(structuredClone(gone)));
  };

  const bucket = (resource: string) => {
    let b = store.get(resource);
    if (!b) store.set(resource, (b = new Map()));
    return b;
  };
  const keyOf = (name: string, namespace?: string) => `${namespace ?? ""}/${name}`;
  const stamp = (obj: Json) => {
    const meta = (obj.metadata ??= {}) as Json;
    meta.resourceVersion = String(++revision);
    return obj;
  };

  const api: FakeApiServer = {
    url: "",
    requests,
    validToken: undefined,
    evictionBlocker: undefined,
    forbid: undefined,
    compactHistory() {
      history.length = 0;
      oldestRv = revision;
    },
    expireContinueTokens() {
      tokenGeneration++;
    },
    put(resource, object) {
      if (!RESOURCES[resource]) throw new Error(`fake apiserver: unknown resource ${resource}`);
      const copy = structuredClone(object);
      const meta = copy.metadata as Json;
      meta.uid ??= `uid-${meta.name as string}`;
      const key = keyOf(meta.name as string, meta.namespace as string | undefined);
      const existed = bucket(resource).has(key);
      bucket(resource).set(key, stamp(copy));
      recordPod(resource, existed ? "MODIFIED" : "ADDED", copy);
      return structuredClone(copy);
    },
    get(resource, name, namespace) {
      const o = bucket(resource).get(keyOf(name, namespace));
      return o ? structuredClone(o) : undefined;
    },
    list(resource) {
      return [...bucket(resource).values()].map((o) => structuredClone(o));
    },
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (raw += chunk));
    req.on("end", () => {
      try {
        handle(req, res, raw);
      } catch (err) {
        sendStatus(res, 500, "InternalError", String(err));
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const contentType = req.headers["content-type"]?.split(";")[0]?.trim();
    let body: unknown = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      authorization: req.headers.authorization,
      body,
    });

    if (api.validToken !== undefined && req.headers.authorization !== `Bearer ${api.validToken}`) {
      return sendStatus(res, 401, "Unauthorized", "Unauthorized");
    }
    const forbidden = api.forbid?.(req.method ?? "GET", url.pathname);
    if (forbidden !== undefined) return sendStatus(res, 403, "Forbidden", forbidden);
    const route = parsePath(url.pathname);
    if (!route) return sendStatus(res, 404, "NotFound", `no route for ${url.pathname}`);
    const info = RESOURCES[route.resource];
    if (!info) return sendStatus(res, 404, "NotFound", `the server could not find the requested resource (${route.resource})`);
    const items = bucket(route.resource);
    const method = req.method ?? "GET";

    if (!route.name) {
      if (method === "GET" && url.searchParams.get("watch") === "true") {
        if (!WATCHABLE.has(route.resource)) return sendStatus(res, 405, "MethodNotAllowed", "this fake watches pods and nodes only");
        return streamWatch(res, route.resource, info.kind, url.searchParams);
      }
      if (method === "GET") {
        const token = url.searchParams.get("continue");
        if (token && Number(Buffer.from(token, "base64url").toString().split(":")[0]) !== tokenGeneration) {
          return sendStatus(res, 410, "Expired", "The provided continue parameter is too old to display a consistent list result.");
        }
        return sendJson(res, 200, listResponse(info.kind, items, route.namespace, url.searchParams, tokenGeneration, revision));
      }
      if (method === "POST") {
        const obj = body as Json;
        const meta = (obj.metadata ??= {}) as Json;
        if (!meta.name && meta.generateName) meta.name = `${meta.generateName as string}${revision.toString(36)}`;
        if (info.namespaced) meta.namespace ??= route.namespace;
        const key = keyOf(meta.name as string, meta.namespace as string | undefined);
        if (items.has(key)) return sendStatus(res, 409, "AlreadyExists", `${info.kind} "${meta.name as string}" already exists`);
        items.set(key, stamp(obj));
        recordPod(route.resource, "ADDED", obj);
        return sendJson(res, 201, obj);
      }
      return sendStatus(res, 405, "MethodNotAllowed", method);
    }

    const key = keyOf(route.name, route.namespace);
    const current = items.get(key);
    if (route.subresource === "eviction") {
      if (method !== "POST") return sendStatus(res, 405, "MethodNotAllowed", method);
      if (!current) return sendStatus(res, 404, "NotFound", `pods "${route.name}" not found`);
      const blocked = api.evictionBlocker?.(route.namespace ?? "", route.name);
      if (blocked !== undefined) {
        return sendJson(res, 429, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "Cannot evict pod as it would violate the pod's disruption budget.",
          reason: "TooManyRequests",
          details: { causes: [{ reason: "DisruptionBudget", message: blocked }] },
          code: 429,
        });
      }
      remove(route.resource, key);
      return sendJson(res, 201, { kind: "Status", apiVersion: "v1", status: "Success", code: 201 });
    }
    if (route.subresource && route.subresource !== "status") return sendStatus(res, 404, "NotFound", route.subresource);
    if (!current) return sendStatus(res, 404, "NotFound", `${info.kind.toLowerCase()}s "${route.name}" not found`);

    if (method === "GET") return sendJson(res, 200, current);
    if (method === "DELETE") {
      // As the API server: an object with finalizers is only marked (deletionTimestamp) until they go.
      const meta = current.metadata as Json;
      if (Array.isArray(meta.finalizers) && meta.finalizers.length > 0) {
        if (meta.deletionTimestamp === undefined) {
          const marked = structuredClone(current);
          (marked.metadata as Json).deletionTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
          items.set(key, stamp(marked));
          recordPod(route.resource, "MODIFIED", marked);
          return sendJson(res, 200, marked);
        }
        return sendJson(res, 200, current);
      }
      remove(route.resource, key);
      return sendJson(res, 200, { kind: "Status", apiVersion: "v1", status: "Success", code: 200 });
    }
    if (method !== "PATCH") return sendStatus(res, 405, "MethodNotAllowed", method);

    let patched: Json;
    if (contentType === "application/merge-patch+json") {
      const rv = ((body as Json)?.metadata as Json | undefined)?.resourceVersion;
      if (rv !== undefined && rv !== (current.metadata as Json).resourceVersion) {
        return sendStatus(res, 409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
      }
      patched = mergePatch(current, body) as Json;
    } else if (contentType === "application/strategic-merge-patch+json") {
      if (info.custom) return sendStatus(res, 415, "UnsupportedMediaType", "strategic merge patch is not supported for custom resources");
      patched = strategicMerge(current, body, "") as Json;
    } else if (contentType === "application/json-patch+json") {
      const result = jsonPatch(current, body);
      if ("error" in result) return sendStatus(res, 422, "Invalid", result.error);
      patched = result.value;
    } else {
      return sendStatus(res, 415, "UnsupportedMediaType", `unsupported patch content type ${contentType ?? "(none)"}`);
    }
    // A status subresource changes only status; the main resource never changes status.
    let next: Json;
    if (route.subresource === "status") {
      next = structuredClone(current);
      next.status = patched.status;
    } else {
      next = patched;
      if (info.hasStatus) {
        if (current.status === undefined) delete next.status;
        else next.status = structuredClone(current.status);
      }
    }
    const nextMeta = next.metadata as Json;
    if (nextMeta.deletionTimestamp !== undefined && (!Array.isArray(nextMeta.finalizers) || nextMeta.finalizers.length === 0)) {
      // The last finalizer of an object being deleted is gone: it goes now.
      items.set(key, next);
      remove(route.resource, key);
      return sendJson(res, 200, next);
    }
    items.set(key, stamp(next));
    recordPod(route.resource, "MODIFIED", next);
    return sendJson(res, 200, next);
  }

  function streamWatch(res: ServerResponse, resource: string, kind: string, query: URLSearchParams): void {
    const since = Number(query.get("resourceVersion") ?? "0");
    res.writeHead(200, { "content-type": "application/json" });
    const line = (event: unknown) => res.write(`${JSON.stringify(event)}\n`);
    if (since < oldestRv) {
      line({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", message: `too old resource version: ${since} (${oldestRv})`, reason: "Expired", code: 410 } });
      res.end();
      return;
    }
    const labelSelector = query.get("labelSelector") ?? "";
    const fieldSelector = query.get("fieldSelector") ?? "";
    for (const event of history) {
      if (event.resource !== resource || event.rv <= since) continue;
      const labels = ((event.object.metadata as Json).labels ?? {}) as Record<string, string>;
      if (!matchesLabels(labels, labelSelector) || !matchesFields(event.object, fieldSelector)) continue;
      line({ type: event.type, object: event.object });
    }
    if (query.get("allowWatchBookmarks") === "true") line({ type: "BOOKMARK", object: { kind, apiVersion: "v1", metadata: { resourceVersion: String(revision) } } });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (api as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

interface Route {
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function parsePath(path: string): Route | undefined {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === "api" && parts[1] === "v1") {
    group = "";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (!rest[0]) return undefined;
  const route: Route = { resource: `${group}/${rest[0]}` };
  if (namespace !== undefined) route.namespace = namespace;
  if (rest[1]) route.name = rest[1];
  if (rest[2]) route.subresource = rest[2];
  return route;
}

function listResponse(
  kind: string,
  items: Map<string, Json>,
  namespace: string | undefined,
  query: URLSearchParams,
  generation: number,
  revision: number,
): Json {
  const labelSelector = query.get("labelSelector") ?? "";
  const fieldSelector = query.get("fieldSelector") ?? "";
  const all = [...items.entries()]
    .filter(([, o]) => namespace === undefined || (o.metadata as Json).namespace === namespace)
    .filter(([, o]) => matchesLabels(((o.metadata as Json).labels ?? {}) as Record<string, string>, labelSelector))
    .filter(([, o]) => matchesFields(o, fieldSelector))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, o]) => o);
  // Token: "<generation>:<offset>"; a real server's token is opaque too.
  const start = query.get("continue") ? Number(Buffer.from(query.get("continue")!, "base64url").toString().split(":")[1]) : 0;
  const limit = Number(query.get("limit") ?? 0);
  const end = limit > 0 ? start + limit : all.length;
  const metadata: Json = { resourceVersion: String(revision) };
  if (end < all.length) {
    metadata.continue = Buffer.from(`${generation}:${end}`).toString("base64url");
    metadata.remainingItemCount = all.length - end;
  }
  return { kind: `${kind}List`, apiVersion: "v1", metadata, items: all.slice(start, end) };
}

function matchesLabels(labels: Record<string, string>, selector: string): boolean {
  for (const term of selector.split(/,(?![^(]*\))/).map((s) => s.trim()).filter(Boolean)) {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim());
      const inSet = set[1]! in labels && values.includes(labels[set[1]!]!);
      if (set[2] === "in" ? !inSet : inSet) return false;
      continue;
    }
    const m = /^(!?)([^=!]+?)(?:\s*(==|=|!=)\s*(.*))?$/.exec(term);
    if (!m) return false;
    const [, not, key, op, value] = m;
    const has = key! in labels;
    if (!op) {
      if (not ? has : !has) return false;
    } else if (op === "!=") {
      if (labels[key!] === value) return false;
    } else if (labels[key!] !== value) return false;
  }
  return true;
}

function matchesFields(obj: Json, selector: string): boolean {
  for (const term of selector.split(",").filter(Boolean)) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) return false;
    const [, path, op, value] = m;
    let cur: unknown = obj;
    for (const seg of path!.split(".")) cur = cur && typeof cur === "object" ? (cur as Json)[seg] : undefined;
    const actual = cur === undefined || cur === null ? "" : String(cur);
    if (op === "!=" ? actual === value : actual !== value) return false;
  }
  return true;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** RFC 7386. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Fields whose lists merge by value upstream (patchStrategy "merge" on a primitive list). */
const MERGED_PRIMITIVE_LISTS = new Set(["metadata.finalizers"]);

function strategicMerge(target: unknown, patch: unknown, path: string): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    const field = path ? `${path}.${k}` : k;
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const name = k.slice("$deleteFromPrimitiveList/".length);
      const remove = new Set(v as unknown[]);
      const list = (out[name] as unknown[] | undefined) ?? [];
      out[name] = list.filter((x) => !remove.has(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v) && MERGED_PRIMITIVE_LISTS.has(field)) {
      const existing = (out[k] as unknown[] | undefined) ?? [];
      out[k] = [...existing, ...v.filter((x) => !existing.includes(x))];
    } else out[k] = strategicMerge(out[k], v, field);
  }
  return out;
}

/** RFC 6902 for add/remove/replace/test on JSON pointers. */
function jsonPatch(target: Json, ops: unknown): { value: Json } | { error: string } {
  if (!Array.isArray(ops)) return { error: "json patch body must be an array" };
  const doc = structuredClone(target);
  for (const op of ops as Array<{ op: string; path: string; value?: unknown }>) {
    const segs = op.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = segs.pop();
    if (last === undefined) return { error: `bad path ${op.path}` };
    let parent: unknown = doc;
    for (const s of segs) parent = parent && typeof parent === "object" ? (parent as Json)[s] : undefined;
    if (!parent || typeof parent !== "object") return { error: `path ${op.path} does not exist` };
    const container = parent as Json & unknown[];
    const index = Array.isArray(container) ? (last === "-" ? container.length : Number(last)) : undefined;
    switch (op.op) {
      case "test":
        if (JSON.stringify(container[last]) !== JSON.stringify(op.value)) {
          return { error: `testing value ${op.path} failed: test failed` };
        }
        break;
      case "add":
        if (index !== undefined) container.splice(index, 0, op.value);
        else container[last] = op.value;
        break;
      case "replace":
        if (!(last in container)) return { error: `replace operation does not apply: doc is missing key: ${op.path}` };
        container[last] = op.value;
        break;
      case "remove":
        if (!(last in container)) return { error: `remove operation does not apply: doc is missing key: ${op.path}` };
        if (index !== undefined) container.splice(index, 1);
        else delete container[last];
        break;
      default:
        return { error: `unsupported op ${op.op}` };
    }
  }
  return { value: doc };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
}
