/**
 * The walkthrough (`contributes.walkthroughs` in package.json) and the steps the running
 * server completes ("Install the teamlore server", "Open your repository").
 *
 * Those steps declare `onContext:teamlore.running`, but VS Code completes an `onContext`
 * step only when the key turns true *after* it registered the walkthrough, and it registers
 * walkthroughs lazily (when the Welcome page or a walkthrough is first shown). A user who
 * opens the walkthrough once the server already runs would see both steps unticked, so
 * the extension also marks them done itself (`welcome.markStepComplete`, VS Code's own
 * command behind the walkthrough's checkboxes).
 */

/** The walkthrough's id as `workbench.action.openWalkthrough` takes it (publisher.name#id). */
export const WALKTHROUGH = "teamlore.teamlore#teamlore.start";

/** The steps that are done once the server was found and runs. */
export const SERVER_STEPS = ["install", "open"] as const;

export const MARK_STEP_COMPLETE = "welcome.markStepComplete";

/** A step's id as VS Code's walkthrough commands take it. */
export function stepId(step: string): string {
  return `${WALKTHROUGH}#${step}`;
}

/**
 * Marks the server's steps done. A failure is reported, never thrown: a VS Code that has
 * not finished registering the walkthrough rejects the command (VS Code 1.139 records the
 * progress before it rejects), and the steps' own completion event still applies.
 */
export async function markServerSteps(
  execute: (command: string, step: string) => PromiseLike<unknown>,
  onError: (step: string, error: unknown) => void,
): Promise<void> {
  for (const step of SERVER_STEPS) {
    try {
      await execute(MARK_STEP_COMPLETE, stepId(step));
    } catch (error) {
      onError(step, error);
    }
  }
}
