/**
 * How every flow's run is executed and journalled (docs/explain.md). The handler asks for a run's
 * executor here instead of building one: in live mode the one that acts (PortExecutor), in shadow
 * mode one that records the actions and performs none of them (RecordingExecutor). Either way the
 * actions and their outcomes are kept, and when the run ends one journal entry is written with
 * them and the flow's why. The flows themselves do not know which mode they run in.
 */
import type { Action, Applied, Executor } from "../actions/actions.ts";
import { PortExecutor, RecordingExecutor } from "../actions/executor.ts";
import { buildEntry, type RunWhy } from "../journal/entry.ts";
import type { FullPorts } from "../observe/ports.ts";
import type { JournalFlow, TenonMode } from "../ports/journal.ts";
import { emit } from "../ports/telemetry.ts";
import { shadowRunPoints } from "../journal/shadow-metrics.ts";

const DAY_MS = 86_400_000;

/** Passes actions to the executor it wraps and keeps what became of them. */
export class JournalingExecutor implements Executor {
  readonly applied: Applied[] = [];
  constructor(private readonly inner: Executor) {}

  async execute(actions: readonly Action[]): Promise<Applied[]> {
    const applied = await this.inner.execute(actions);
    this.applied.push(...applied);
    return applied;
  }
}

/** The executor a run uses in this mode: the one that acts, or the recorder (shadow). */
export function modeExecutor(ports: FullPorts): Executor {
  return modeOf(ports) === "shadow" ? new RecordingExecutor() : new PortExecutor(ports);
}

export function modeOf(ports: Pick<FullPorts, "mode">): TenonMode {
  return ports.mode ?? "live";
}

/**
 * Runs one flow with the mode's executor and writes its journal entry (also when the run fails,
 * with the error). Writing the journal never fails the run: a failed write is logged.
 */
export async function journaled<R>(
  ports: FullPorts,
  flow: JournalFlow,
  trigger: string,
  run: (executor: Executor) => Promise<R>,
  why: (report: R) => RunWhy,
): Promise<R> {
  const executor = new JournalingExecutor(modeExecutor(ports));
  const atMs = ports.clock.now();
  const write = async (entryWhy: RunWhy, error?: string): Promise<void> => {
    try {
      const entry = buildEntry({ id: ports.ids.uid(), atMs, flow, trigger, mode: modeOf(ports), applied: executor.applied, ...entryWhy, ...(error ? { error } : {}) });
      await ports.store.putJournalEntry(entry, atMs + ports.settings.journalTtlDays * DAY_MS);
    } catch (journalError) {
      ports.log.warn("could not write the journal entry", { flow, error: (journalError as Error).message });
    }
  };
  let report: R;
  try {
    report = await run(executor);
  } catch (error) {
    await write({ summary: `${flow} run failed` }, (error as Error).message);
    throw error;
  }
  const reportWhy = why(report);
  await write(reportWhy);
  // Shadow mode's comparison with the incumbent: what this run would have launched and removed (docs/explain.md).
  if (modeOf(ports) === "shadow") emit(ports.metrics, shadowRunPoints(executor.applied, reportWhy.scheduling));
  return report;
}
