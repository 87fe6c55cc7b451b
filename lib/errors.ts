/**
 * Errors caused by what a user gave us. Each names the object, the field path and the reason, so
 * the CLI can print one clear line per problem and exit 2, and a function can report it on the
 * object's status without crashing.
 */
export interface InputProblem {
  /** e.g. `NodePool default`, `file examples/web.yaml document 3` */
  readonly object: string;
  /** e.g. `spec.template.spec.requirements[2].operator`; empty when the whole object is at fault */
  readonly path: string;
  readonly reason: string;
}

export function formatProblem(problem: InputProblem): string {
  return problem.path ? `${problem.object}: ${problem.path}: ${problem.reason}` : `${problem.object}: ${problem.reason}`;
}

export class InputError extends Error {
  readonly problems: readonly InputProblem[];
  constructor(problems: InputProblem | readonly InputProblem[]) {
    const list = Array.isArray(problems) ? (problems as readonly InputProblem[]) : [problems as InputProblem];
    super(list.map(formatProblem).join("\n"));
    this.name = "InputError";
    this.problems = list;
  }
}
