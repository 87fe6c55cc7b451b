import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kubeConfigFor } from "../../../lib/cluster/kube/clients.ts";
import { connectEksCluster } from "../../../lib/cluster/kube/eks.ts";
import { ClusterEndpointError, ENDPOINT_CACHE_TTL_MS, eksEndpointSource } from "../../../lib/cluster/kube/eks-endpoint.ts";
import { EKS_TOKEN_PREFIX, eksTokenProvider, presignEksToken } from "../../../lib/cluster/kube/eks-token.ts";
import { startFakeApiServer, type FakeApiServer } from "../../../lib/cluster/kube/fake-apiserver.ts";
import { clusterAgainst, fixedClock, node, scriptedTokens } from "../../support/kube.ts";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "session-token" };
const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

function decode(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const payload = token.slice(EKS_TOKEN_PREFIX.length);
  expect(payload).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(payload, "base64url").toString("utf8"));
}

describe("EKS bearer token", () => {
  it("is a presigned STS GetCallerIdentity URL with the cluster id header signed, base64url without padding", async () => {
    const token = await presignEksToken({ clusterName: "prod", region: "eu-west-1", credentials, signingTimeMs: T0 });
    expect(token).not.toContain("=");
    const url = decode(token);

    expect(url.protocol).toBe("https:");
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("Version")).toBe("2011-06-15");
    expect(url.searchParams.get("X-Amz-SignedHeaders")!.split(";")).toEqual(expect.arrayContaining(["host", "x-k8s-aws-id"]));
    expect(url.searchParams.get("X-Amz-Date")).toBe("20260501T120000Z");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20260501/eu-west-1/sts/aws4_request");
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe("session-token");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("signs the cluster name: another cluster gets another signature", async () => {
    const a = decode(await presignEksToken({ clusterName: "a", region: "us-east-1", credentials, signingTimeMs: T0 }));
    const b = decode(await presignEksToken({ clusterName: "b", region: "us-east-1", credentials, signingTimeMs: T0 }));
    expect(a.searchParams.get("X-Amz-Signature")).not.toBe(b.searchParams.get("X-Amz-Signature"));
  });

  it("is cached until a minute before its 14-minute life ends, then re-signed; forceRefresh re-signs at once", async () => {
    const clock = fixedClock(T0);
    const tokens = eksTokenProvider({ clusterName: "prod", region: "us-east-1", credentials, clock });
    const first = await tokens.token();

    clock.set(T0 + 13 * 60_000 - 1);
    expect(await tokens.token()).toBe(first);
    clock.set(T0 + 13 * 60_000);
    const second = await tokens.token();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get("X-Amz-Date")).toBe("20260501T121300Z");

    clock.set(T0 + 13 * 60_000 + 5_000);
    const forced = await tokens.token({ forceRefresh: true });
    expect(decode(forced).searchParams.get("X-Amz-Date")).toBe("20260501T121305Z");
    expect(await tokens.token()).toBe(forced);
  });
});

describe("401 handling", () => {
  let server: FakeApiServer;
  beforeEach(async () => {
    server = await startFakeApiServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("sends the bearer token, and on 401 gets a fresh token and retries once", async () => {
    server.put("/nodes", node("n1"));
    server.validToken = "fresh";
    const tokens = scriptedTokens("expired", "fresh");
    const page = await clusterAgainst(server, tokens).listNodes();

    expect(page.items).toHaveLength(1);
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer expired", "Bearer fresh"]);
    expect(tokens.calls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
  });

  it("gives up after one retry when the fresh token is refused too", async () => {
    server.validToken = "never";
    const tokens = scriptedTokens("a", "b", "c");
    await expect(clusterAgainst(server, tokens).listNodes()).rejects.toMatchObject({ code: 401 });
    expect(server.requests).toHaveLength(2);
  });

  it("keeps the patch content type on the retried request", async () => {
    server.put("/nodes", node("n1"));
    server.validToken = "fresh";
    await clusterAgainst(server, scriptedTokens("old", "fresh")).patchNodeMetadata("n1", { labels: { a: "b" } });
    expect(server.requests.map((r) => [r.authorization, r.contentType])).toEqual([
      ["Bearer old", "application/merge-patch+json"],
      ["Bearer fresh", "application/merge-patch+json"],
    ]);
  });
});

describe("cluster endpoint from EKS DescribeCluster", () => {
  const eksMock = mockClient(EKSClient);
  beforeEach(() => eksMock.reset());

  it("calls DescribeCluster once and serves the cached endpoint until the cache expires", async () => {
    eksMock.on(DescribeClusterCommand, { name: "prod" }).resolves({
      cluster: { name: "prod", status: "ACTIVE", endpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", certificateAuthority: { data: "Q0EtREFUQQ==" } },
    });
    const clock = fixedClock(T0);
    const source = eksEndpointSource({ eks: new EKSClient({ region: "eu-west-1" }), clusterName: "prod", clock });

    const [a, b] = await Promise.all([source(), source()]);
    expect(a).toEqual({ server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", caData: "Q0EtREFUQQ==" });
    expect(b).toEqual(a);
    clock.set(T0 + ENDPOINT_CACHE_TTL_MS - 1);
    await source();
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(1);
    clock.set(T0 + ENDPOINT_CACHE_TTL_MS);
    await source();
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it("says which cluster is not usable and why", async () => {
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { name: "new", status: "CREATING" } });
    const source = eksEndpointSource({ eks: new EKSClient({ region: "eu-west-1" }), clusterName: "new", clock: fixedClock() });
    await expect(source()).rejects.toThrow(new ClusterEndpointError("new", "status is CREATING, not ACTIVE"));
  });

  it("passes the EKS CA bundle to the KubeConfig unchanged (client-node decodes it as base64)", () => {
    const kc = kubeConfigFor({ server: "https://x.eks.amazonaws.com", caData: "Q0EtREFUQQ==" });
    expect(kc.getCurrentCluster()).toMatchObject({ server: "https://x.eks.amazonaws.com", caData: "Q0EtREFUQQ==", skipTLSVerify: false });
  });

  it("connects the port to the endpoint DescribeCluster returned", async () => {
    const server = await startFakeApiServer();
    try {
      server.put("/nodes", node("n1"));
      eksMock.on(DescribeClusterCommand).resolves({ cluster: { status: "ACTIVE", endpoint: server.url, certificateAuthority: { data: "Q0E=" } } });
      const cluster = await connectEksCluster({
        endpoint: eksEndpointSource({ eks: new EKSClient({ region: "eu-west-1" }), clusterName: "prod", clock: fixedClock() }),
        tokens: scriptedTokens("tok"),
        clock: fixedClock(),
      });
      expect((await cluster.listNodes()).items.map((n) => n.metadata.name)).toEqual(["n1"]);
      expect(server.requests[0]!.authorization).toBe("Bearer tok");
    } finally {
      await server.close();
    }
  });
});
