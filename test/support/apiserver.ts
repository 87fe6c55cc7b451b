/**
 * A real kube-apiserver with etcd on loopback, for one test file: built once from the Go module
 * proxy by scripts/build-kube-apiserver.sh (cached under ~/.cache/tenon, keyed by version), etcd
 * from Debian's `etcd-server`. No controllers, scheduler or kubelet run: tests set pod and PDB
 * status themselves through `/status`.
 *
 * Users come from a token file: `admin` (system:masters), for seeding; `tenon` (groups `tenon` and
 * `tenon-termination`) and `planner` (group `tenon` only), which get their rights from the
 * ClusterRoles in docs/kubernetes.md and nothing else.
 *
 * Without `go` (or etcd) on a developer's machine the suites are skipped with a message saying
 * what is missing; under CI=true they run, so a missing piece fails CI instead of hiding.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { kubeConfigFor, makeClients } from "../../lib/cluster/kube/clients.ts";
import { KubeCluster } from "../../lib/cluster/kube/kube-cluster.ts";
import type { Clock } from "../../lib/ports/clock.ts";
import { freePort } from "./free-port.ts";

const run = promisify(execFile);

export const KUBE_VERSION = "1.35.4";
/** Karpenter's CRDs as the AWS provider ships them (its Helm chart installs these copies). */
export const KARPENTER_MODULE = "github.com/aws/karpenter-provider-aws";
export const KARPENTER_VERSION = "v1.14.1";
export const KARPENTER_CRD_FILES = ["karpenter.sh_nodepools.yaml", "karpenter.sh_nodeclaims.yaml", "karpenter.k8s.aws_ec2nodeclasses.yaml"];

const ROOT = new URL("../../", import.meta.url).pathname;
const CACHE = process.env["TENON_CACHE"] ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "tenon");
export const KUBE_APISERVER_BINARY = join(CACHE, `kube-apiserver-v${KUBE_VERSION}`, "kube-apiserver");

/**
 * Users in the token file: `tenon` holds every Tenon group (the lifecycle function's rights),
 * `planner` only group `tenon` (the provisioner's, consolidator's and drift checker's).
 */
export const TOKENS = { admin: "admin-token", tenon: "tenon-token", planner: "planner-token" } as const;

async function onPath(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the real-API-server suites cannot run here, or undefined when they can. Under CI nothing is
 * ever skipped: the suites run and fail loudly if a piece is missing.
 */
/** As root with apt (these machines, and CI), installs Debian's etcd-server once; true when etcd is then on PATH. */
async function installEtcd(): Promise<boolean> {
  if (process.getuid?.() !== 0 || !(await onPath("apt-get"))) return false;
  try {
    mkdirSync(CACHE, { recursive: true });
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await run("flock", [join(CACHE, "apt.lock"), "sh", "-c", "command -v etcd || { apt-get update -qq && apt-get install -y -qq etcd-server; }"], { env, maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return false;
  }
  return onPath("etcd");
}

export async function apiServerUnavailable(): Promise<string | undefined> {
  if (process.env["CI"] === "true") return undefined;
  let reason: string | undefined;
  if (!existsSync(KUBE_APISERVER_BINARY) && !(await onPath("go"))) {
    reason = "skipped: tests against a real kube-apiserver need Go to build it once (scripts/build-kube-apiserver.sh); install Go or run with CI=true";
  } else if (!(await onPath("etcd")) && !(await installEtcd())) {
    reason = "skipped: tests against a real kube-apiserver need etcd (apt-get install etcd-server)";
  }
  if (reason) console.warn(reason);
  return reason;
}

/** The cached binary, building it first when missing (10 minutes or so, once per machine). */
export async function kubeApiServerBinary(): Promise<string> {
  if (existsSync(KUBE_APISERVER_BINARY)) return KUBE_APISERVER_BINARY;
  const started = Date.now();
  // flock: parallel test files wait for one build instead of racing.
  mkdirSync(CACHE, { recursive: true });
  await run("flock", [join(CACHE, "kube-apiserver.lock"), join(ROOT, "scripts/build-kube-apiserver.sh")], {
    env: { ...process.env, KUBE_VERSION, TENON_CACHE: CACHE },
    maxBuffer: 64 * 1024 * 1024,
  });
  console.log(`kube-apiserver v${KUBE_VERSION} built in ${Math.round((Date.now() - started) / 1000)} s (cached for later runs at ${KUBE_APISERVER_BINARY})`);
  return KUBE_APISERVER_BINARY;
}

/** Applies the ClusterRoles and ClusterRoleBindings exactly as docs/kubernetes.md publishes them (its first yaml block). */
export async function applyDocumentedRbac(server: RealApiServer): Promise<void> {
  const markdown = readFileSync(new URL("../../docs/kubernetes.md", import.meta.url), "utf8");
  const block = /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (!block) throw new Error("docs/kubernetes.md has no yaml block");
  for (const doc of parseAllDocuments(block)) {
    const object = doc.toJS() as { kind: string };
    const plural = object.kind === "ClusterRole" ? "clusterroles" : "clusterrolebindings";
    await server.must("POST", `/apis/rbac.authorization.k8s.io/v1/${plural}`, { body: object });
  }
}

/** Karpenter's v1 CRDs, read from the Go module cache (downloaded through the module proxy once). */
export async function karpenterCrds(): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run("go", ["mod", "download", "-json", `${KARPENTER_MODULE}@${KARPENTER_VERSION}`], { cwd: tmpdir() });
  const dir = (JSON.parse(stdout) as { Dir?: string; Error?: string }).Dir;
  if (!dir || !existsSync(dir)) throw new Error(`go mod download ${KARPENTER_MODULE}@${KARPENTER_VERSION}: ${stdout}`);
  return KARPENTER_CRD_FILES.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, "pkg/apis/crds", file), "utf8"))
      .map((d) => d.toJS() as Record<string, unknown> | null)
      .filter((d): d is Record<string, unknown> => d !== null),
  );
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export interface RealApiServer {
  url: string;
  /** The serving certificate, base64 (a KubeConfig's caData). */
  caData: string;
  /** A raw request as a user of the token file; JSON bodies. */
  request<T = Record<string, unknown>>(method: string, path: string, options?: { body?: unknown; token?: string; contentType?: string }): Promise<ApiResponse<T>>;
  /** Like `request`, but throws unless the status is 2xx. */
  must<T = Record<string, unknown>>(method: string, path: string, options?: { body?: unknown; token?: string; contentType?: string }): Promise<T>;
  /** Tenon's adapter (lib/kube) talking to this server as `token`'s user. */
  kubeCluster(token?: string, clock?: Clock): KubeCluster;
  /** Compacts etcd's history up to now, as the API server does every 5 minutes: older watches get 410. */
  compactEtcd(): Promise<void>;
  /** Apply Karpenter's CRDs and wait until they are served. */
  installKarpenterCrds(): Promise<void>;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Starts etcd and kube-apiserver on free loopback ports; `stop()` ends both and removes their files. */
export async function startRealApiServer(options: { watchCache?: boolean } = {}): Promise<RealApiServer> {
  const binary = await kubeApiServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "tenon-apiserver-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of [...children].reverse()) {
      child.kill("SIGTERM");
      await waitForExit(child, 10_000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
    const etcdLog = openSync(join(dir, "etcd.log"), "a");
    const etcd = spawn(
      "etcd",
      [
        "--name=tenon-test",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=tenon-test=http://127.0.0.1:${etcdPeer}`,
      ],
      { stdio: ["ignore", etcdLog, etcdLog] },
    );
    children.push(etcd);

    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(dir, "tokens.csv"), `${TOKENS.admin},admin,admin,"system:masters"\n${TOKENS.tenon},tenon,tenon,"tenon,tenon-termination"\n${TOKENS.planner},planner,planner,"tenon"\n`);
    const apiLog = openSync(join(dir, "kube-apiserver.log"), "a");
    const apiserver = spawn(
      binary,
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, "certs")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        // A range for Service IPs is required; nothing ever routes to it.
        "--service-cluster-ip-range=10.0.0.0/24",
        // No controllers run, so no default service account exists for admission to find.
        "--disable-admission-plugins=ServiceAccount",
        "--anonymous-auth=false",
        ...(options.watchCache === false ? ["--watch-cache=false"] : []),
        "--profiling=false",
      ],
      { stdio: ["ignore", apiLog, apiLog] },
    );
    children.push(apiserver);

    const url = `https://127.0.0.1:${port}`;
    const certFile = join(dir, "certs", "apiserver.crt");
    let ca = "";
    const request = <T>(method: string, path: string, options: { body?: unknown; token?: string; contentType?: string } = {}): Promise<ApiResponse<T>> =>
      new Promise((resolve, reject) => {
        const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
        const req = httpsRequest(
          `${url}${path}`,
          {
            method,
            ca,
            headers: {
              authorization: `Bearer ${options.token ?? TOKENS.admin}`,
              accept: "application/json",
              ...(payload !== undefined ? { "content-type": options.contentType ?? "application/json" } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              let body: unknown = text;
              try {
                body = JSON.parse(text);
              } catch {
                /* not JSON (readyz) */
              }
              resolve({ status: res.statusCode ?? 0, body: body as T });
            });
          },
        );
        req.on("error", reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });

    const deadline = Date.now() + 90_000;
    for (;;) {
      if (apiserver.exitCode !== null || etcd.exitCode !== null) {
        throw new Error(`kube-apiserver or etcd exited early:\n${readFileSync(join(dir, "kube-apiserver.log"), "utf8").slice(-3000)}\n${readFileSync(join(dir, "etcd.log"), "utf8").slice(-1500)}`);
      }
      if (!ca && existsSync(certFile)) ca = readFileSync(certFile, "utf8");
      if (ca) {
        const ready = await request<string>("GET", "/readyz").catch(() => undefined);
        if (ready?.status === 200) break;
      }
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 90 s:\n${readFileSync(join(dir, "kube-apiserver.log"), "utf8").slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const must = async <T>(method: string, path: string, options?: { body?: unknown; token?: string; contentType?: string }): Promise<T> => {
      const res = await request<T>(method, path, options);
      if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      return res.body;
    };
    const caData = Buffer.from(ca).toString("base64");
    return {
      url,
      caData,
      request,
      must,
      kubeCluster(token: string = TOKENS.tenon, clock: Clock = realClock) {
        return new KubeCluster(makeClients(kubeConfigFor({ server: url, caData })), { token: async () => token }, clock);
      },
      async installKarpenterCrds() {
        for (const crd of await karpenterCrds()) {
          await must("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { body: crd });
        }
        for (const crd of await karpenterCrds()) {
          const name = (crd["metadata"] as { name: string }).name;
          for (let i = 0; ; i++) {
            const got = await must<{ status?: { conditions?: Array<{ type: string; status: string }> } }>("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
            if (got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
            if (i > 200) throw new Error(`CRD ${name} not established`);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        // Discovery of the new groups lags establishment a little; wait until a list answers.
        for (const path of ["/apis/karpenter.sh/v1/nodepools", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses"]) {
          for (let i = 0; (await request("GET", path)).status !== 200; i++) {
            if (i > 200) throw new Error(`${path} not served`);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      },
      async compactEtcd() {
        // etcd's JSON gateway: read the current revision, then compact to it.
        const etcdUrl = `http://127.0.0.1:${etcdClient}`;
        const range = (await (await fetch(`${etcdUrl}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("/").toString("base64") }) })).json()) as { header: { revision: string } };
        const res = await fetch(`${etcdUrl}/v3/kv/compaction`, { method: "POST", body: JSON.stringify({ revision: range.header.revision, physical: true }) });
        if (!res.ok) throw new Error(`etcd compaction: HTTP ${res.status}: ${await res.text()}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
