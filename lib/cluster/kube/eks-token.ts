/**
 * EKS bearer tokens, as aws-iam-authenticator defines them: a presigned STS GetCallerIdentity
 * URL with the cluster name signed in as the `x-k8s-aws-id` header, wrapped as
 * `k8s-aws-v1.<base64url without padding>`. The API server replays the URL to STS to learn who
 * we are, so no long-lived secret ever reaches the cluster.
 *
 * STS honours the signature for 15 minutes from X-Amz-Date; EKS treats the token as expiring a
 * minute earlier (14 min). We cache one token and mint a new one a further minute ahead of that,
 * so a request never leaves with a token that expires in flight.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Clock } from "../../ports/clock.ts";

export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";
/** How long EKS accepts a token after it was signed. */
export const EKS_TOKEN_LIFETIME_MS = 14 * 60 * 1000;
/** Mint a new token this long before the old one expires. */
export const EKS_TOKEN_REFRESH_MARGIN_MS = 60 * 1000;
/** What aws-iam-authenticator puts in X-Amz-Expires; STS ignores it in favour of its 15-minute rule. */
const PRESIGN_EXPIRES_SECONDS = 60;

/** Whatever SignatureV4 accepts: static credentials or a provider such as `fromNodeProviderChain()`. */
export type AwsCredentials = ConstructorParameters<typeof SignatureV4>[0]["credentials"];

/** Where API calls get their bearer token; `forceRefresh` after a 401. */
export interface TokenProvider {
  token(options?: { forceRefresh?: boolean }): Promise<string>;
}

export function stsHostname(region: string): string {
  return region.startsWith("cn-") ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

/** One token, signed at `signingTimeMs`. */
export async function presignEksToken(params: {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  signingTimeMs: number;
}): Promise<string> {
  const hostname = stsHostname(params.region);
  const signer = new SignatureV4({ service: "sts", region: params.region, credentials: params.credentials, sha256: Sha256 });
  const request = new HttpRequest({
    method: "GET",
    protocol: "https:",
    hostname,
    path: "/",
    headers: { host: hostname, "x-k8s-aws-id": params.clusterName },
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
  });
  const signed = await signer.presign(request, { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: new Date(params.signingTimeMs) });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join("&");
  const url = `https://${signed.hostname}${signed.path}?${query}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url).toString("base64url");
}

/** A cached token for one cluster, renewed ahead of expiry or on demand after a 401. */
export function eksTokenProvider(params: {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  clock: Clock;
}): TokenProvider {
  let cached: { token: string; refreshAtMs: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const mint = async (): Promise<string> => {
    const signingTimeMs = params.clock.now();
    const token = await presignEksToken({ ...params, signingTimeMs });
    cached = { token, refreshAtMs: signingTimeMs + EKS_TOKEN_LIFETIME_MS - EKS_TOKEN_REFRESH_MARGIN_MS };
    return token;
  };

  return {
    token(options) {
      if (!options?.forceRefresh && cached && params.clock.now() < cached.refreshAtMs) return Promise.resolve(cached.token);
      // Concurrent callers share one signing.
      inFlight ??= mint().finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
}
