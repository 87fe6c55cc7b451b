/** Host ports a pod binds: two pods conflict on a node when they bind the same port and protocol on overlapping IPs. */
import type { Pod } from "../api/kubernetes.ts";

export interface HostPort {
  ip: string;
  port: number;
  protocol: string;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const list of [pod.spec.containers ?? [], pod.spec.initContainers ?? []]) {
    for (const c of list) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort) continue;
        out.push({ ip: p.hostIP && p.hostIP !== "" ? p.hostIP : "0.0.0.0", port: p.hostPort, protocol: p.protocol ?? "TCP" });
      }
    }
  }
  return out;
}

function overlaps(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === b.ip || a.ip === "0.0.0.0" || b.ip === "0.0.0.0");
}

/** The ports in use on one node. */
export class HostPortUsage {
  private readonly used: HostPort[] = [];

  /** The first of `ports` already taken here, or undefined. */
  conflict(ports: readonly HostPort[]): HostPort | undefined {
    for (const p of ports) for (const u of this.used) if (overlaps(p, u)) return p;
    return undefined;
  }

  add(ports: readonly HostPort[]): void {
    for (const p of ports) this.used.push(p);
  }

  get size(): number {
    return this.used.length;
  }
}

export function formatHostPort(p: HostPort): string {
  return `${p.ip}:${p.port}/${p.protocol}`;
}
