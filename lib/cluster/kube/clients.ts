/**
 * client-node plumbing: a KubeConfig for one endpoint (no credentials in it: the bearer token is
 * added per request, so a refreshed token never needs a new client), the typed API clients, and
 * the one place every call goes through for auth, content type and the 401 retry.
 */
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PolicyV1Api,
  StorageV1Api,
  setHeaderOptions,
  type ConfigurationOptions,
  type PatchStrategy,
} from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import type { TokenProvider } from "./eks-token.ts";

export interface KubeEndpoint {
  server: string;
  /** Base64 CA bundle; absent for plain-http test servers. */
  caData?: string;
}

/** A KubeConfig for one endpoint; `token` only for raw requests (watch) that bypass the per-call header. */
export function kubeConfigFor(endpoint: KubeEndpoint, token?: string): KubeConfig {
  const kc = new KubeConfig();
  const cluster: { name: string; server: string; skipTLSVerify: boolean; caData?: string } = {
    name: "tenon-target",
    server: endpoint.server,
    // client-node refuses http:// unless this is set; with no TLS there is nothing to verify,
    // so it only ever loosens plain-http test servers, never an https endpoint.
    skipTLSVerify: endpoint.server.startsWith("http://"),
  };
  if (endpoint.caData) cluster.caData = endpoint.caData;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [token ? { name: "tenon", token } : { name: "tenon" }],
    contexts: [{ name: "tenon", cluster: "tenon-target", user: "tenon" }],
    currentContext: "tenon",
  });
  return kc;
}

export interface KubeClients {
  /** The config the clients were made from (endpoint and CA; no credentials). */
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  storage: StorageV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    config: kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    storage: kc.makeApiClient(StorageV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

/**
 * A failed API call, saying what was attempted and what the API server answered, e.g.
 * `patch node ip-10-0-1-2 (application/json-patch+json): HTTP 403: nodes "ip-10-0-1-2" is forbidden: …`.
 * A 403 almost always means the RBAC in docs/kubernetes.md is missing or out of date.
 */
export class KubeApiError extends Error {
  constructor(
    readonly operation: string,
    readonly code: number,
    readonly statusMessage: string,
  ) {
    super(`${operation}: HTTP ${code}: ${statusMessage}`);
    this.name = "KubeApiError";
  }
}

/** An HTTP status the caller handles (404, 409, 422, 429); anything else is thrown as is. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.code;
  return err instanceof ApiException ? err.code : undefined;
}

/** The human message in a Kubernetes Status body, preferring the first cause (a PDB names itself there). */
export function statusMessageOf(err: unknown): string {
  if (err instanceof KubeApiError) return err.statusMessage;
  if (!(err instanceof ApiException)) return err instanceof Error ? err.message : String(err);
  const body: unknown = typeof err.body === "string" ? safeParse(err.body) : err.body;
  if (body && typeof body === "object") {
    const status = body as { message?: string; details?: { causes?: Array<{ message?: string }> } };
    const cause = status.details?.causes?.find((c) => c.message)?.message;
    if (cause) return status.message ? `${status.message} ${cause}` : cause;
    if (status.message) return status.message;
  }
  return `HTTP ${err.code}`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Sends one API call with a bearer token (and a patch content type when given). A 401 means
 * the token expired or was revoked between signing and use: mint a fresh one and try once more.
 */
export async function callWithToken<T>(
  tokens: TokenProvider,
  operation: string,
  send: (options: ConfigurationOptions) => Promise<T>,
  contentType?: PatchStrategy,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const token = await tokens.token(attempt > 0 ? { forceRefresh: true } : undefined);
    let options = setHeaderOptions("Authorization", `Bearer ${token}`);
    if (contentType) options = setHeaderOptions("Content-Type", contentType, options);
    try {
      return await send(options);
    } catch (err) {
      if (attempt === 0 && httpStatusOf(err) === 401) continue;
      if (err instanceof ApiException) {
        throw new KubeApiError(contentType ? `${operation} (${contentType})` : operation, err.code, statusMessageOf(err));
      }
      throw err;
    }
  }
}

/**
 * client-node turns responses into model classes (timestamps become Date); Tenon works on the
 * Kubernetes JSON shape (lib/api/kubernetes.ts), so we serialize back with the same model type.
 */
export function toPlain<T>(value: unknown, modelType: string): T {
  return ObjectSerializer.serialize(value, modelType, "") as T;
}
