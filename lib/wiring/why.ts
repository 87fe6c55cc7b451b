/** What each flow's report adds to its journal entry: a one-line summary and the why it carries. */
import type { DisruptionTickReport } from "../disruption/controller.ts";
import type { InterruptionReport } from "../interruption/interruption.ts";
import type { LifecycleReport } from "../lifecycle/lifecycle.ts";
import type { ProvisionerReport } from "../provisioning/provisioner.ts";
import type { RunWhy } from "../journal/entry.ts";

export function provisionerWhy(report: ProvisionerReport): RunWhy {
  const parts =
    report.lease === "busy"
      ? ["another provisioner run held the lease"]
      : [`batch window ${report.window}`, `${report.created.length} NodeClaim(s) created`, `${report.launched} launched`, `${report.failed} failed`, `${report.unschedulable} pod(s) unschedulable`, ...(report.relaunched > 0 ? [`${report.relaunched} relaunched`] : [])];
  return { summary: parts.join(", "), ...(report.scheduling ? { scheduling: report.scheduling } : {}) };
}

export function lifecycleWhy(report: LifecycleReport): RunWhy {
  const counts: Array<[string, number]> = [
    ["registered", report.registered.length],
    ["initialized", report.initialized.length],
    ["forgotten", report.forgotten.length],
    ["instances terminated", report.terminated.length],
    ["NodeClaims of deleted NodePools marked", report.nodePoolDeleted?.length ?? 0],
    ["on the termination path", report.termination?.terminating.length ?? 0],
    ["evictions requested", report.termination?.evictionsRequested ?? 0],
    ["removed", report.termination?.finished.length ?? 0],
  ];
  const said = counts.filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`);
  return { summary: said.length > 0 ? said.join(", ") : "nothing to do" };
}

export function disruptionWhy(report: DisruptionTickReport): RunWhy {
  const summary =
    report.lease === "busy"
      ? "another disruption run held the lease"
      : report.decided
        ? `${report.controller} decided by ${report.decided}`
        : report.steps.length > 0
          ? report.steps[0]!
          : `${report.controller}: nothing to disrupt`;
  return { summary, steps: report.steps, ...(report.leftAlone ? { leftAlone: report.leftAlone } : {}) };
}

export function interruptionWhy(report: InterruptionReport): RunWhy {
  const summary = report.terminating.length > 0 ? `${report.terminating.length} node(s) put on the termination path: ${report.terminating.slice(0, 10).join(", ")}` : `${report.instances} instance(s) named, nothing drained`;
  return { summary };
}
