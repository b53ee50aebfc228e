/**
 * The status bar item: suppressed findings, stale decisions and the debt trend (from
 * the server's `teamlore.status` when it offers one, else from the CLI's JSON reports),
 * plus what the client counts in the server's diagnostics.
 */

export interface ServerStatus {
  findings?: { active?: number; suppressed?: number; stale?: number };
  debt?: { current?: number; monthly_change?: number | null } | null;
  bugs?: { records?: number };
}

export interface StatusView {
  text: string;
  tooltip: string;
}

export interface DiagnosticCounts {
  /** Diagnostics the server published with source `teamlore` (errors it knows). */
  knownErrors: number;
  /** Other diagnostics the server published (security findings still active). */
  findings: number;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Reads a `teamlore.status` result defensively; undefined when it is not one. */
export function parseStatus(value: unknown): ServerStatus | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const out: ServerStatus = {};
  const f = v.findings ?? v.security;
  if (typeof f === "object" && f !== null) {
    const o = f as Record<string, unknown>;
    out.findings = { active: num(o.active), suppressed: num(o.suppressed), stale: num(o.stale) };
  }
  if (typeof v.debt === "object" && v.debt !== null) {
    const o = v.debt as Record<string, unknown>;
    out.debt = { current: num(o.current), monthly_change: num(o.monthly_change) ?? null };
  }
  if (typeof v.bugs === "object" && v.bugs !== null) {
    out.bugs = { records: num((v.bugs as Record<string, unknown>).records) };
  }
  return out.findings || out.debt || out.bugs ? out : undefined;
}

function signed(n: number): string {
  const r = Math.round(n * 10) / 10;
  return r > 0 ? `+${r}` : `${r}`;
}

export function renderStatus(status: ServerStatus | undefined, counts: DiagnosticCounts): StatusView {
  const parts: string[] = [];
  const tips: string[] = [];
  if (status?.findings?.suppressed !== undefined) {
    parts.push(`$(shield) ${status.findings.suppressed} suppressed`);
    tips.push(`${status.findings.suppressed} security findings suppressed by team decisions`);
    if (status.findings.active !== undefined) tips.push(`${status.findings.active} findings active`);
    if (status.findings.stale) {
      parts.push(`$(warning) ${status.findings.stale} stale`);
      tips.push(`${status.findings.stale} decisions to re-review (the flagged code changed)`);
    }
  } else if (counts.findings > 0) {
    parts.push(`$(shield) ${counts.findings}`);
    tips.push(`${counts.findings} security findings shown`);
  }
  const debt = status?.debt;
  if (debt?.current !== undefined) {
    const change = debt.monthly_change;
    const arrow = change === null || change === undefined ? "" : change > 0 ? "↑" : change < 0 ? "↓" : "→";
    parts.push(`$(checklist) ${debt.current}${arrow}`);
    tips.push(
      `${debt.current} debt markers` +
        (change === null || change === undefined ? "" : ` (${signed(change)} per month)`),
    );
  }
  if (counts.knownErrors > 0) {
    parts.push(`$(history) ${counts.knownErrors}`);
    tips.push(`${counts.knownErrors} errors with team memory in open files`);
  }
  if (status?.bugs?.records !== undefined) tips.push(`${status.bugs.records} remembered fixes`);
  return {
    text: parts.length ? `teamlore ${parts.join(" ")}` : "teamlore",
    tooltip: tips.length ? tips.join("\n") : "teamlore: no findings or known errors",
  };
}

/** Runs the teamlore CLI with these arguments; resolves with its exit code and stdout. */
export type RunCli = (args: string[]) => Promise<{ code: number; stdout: string }>;

function parseJson(stdout: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(stdout);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The status from the CLI's JSON contracts, for servers without `teamlore.status`:
 * `security report --json` (summary: suppressed, active, stale) and `debt report --json`
 * (current, monthly_change; fails until a snapshot exists, then debt is left out).
 */
export async function statusFromCli(run: RunCli): Promise<ServerStatus | undefined> {
  const [security, debt] = await Promise.all([
    run(["security", "report", "--json"]).catch(() => undefined),
    run(["debt", "report", "--json", "--no-blame"]).catch(() => undefined),
  ]);
  const out: Record<string, unknown> = {};
  const sec = security?.code === 0 ? parseJson(security.stdout) : undefined;
  if (sec && typeof sec.summary === "object") out.findings = sec.summary;
  const d = debt?.code === 0 ? parseJson(debt.stdout) : undefined;
  if (d) out.debt = { current: d.current, monthly_change: d.monthly_change };
  return parseStatus(out);
}
