// Names what a failed verify found: the manifest lines that only one side has (issue 13: a verify
// that only said "differs" could not be told apart from a real copy fault).

/** Lines only the source has, then lines only the target has, `max` of each at most. */
export function manifestDifference(source: string[], target: string[], max = 5): { onlySource: string[]; onlyTarget: string[] } {
  const s = new Set(source);
  const t = new Set(target);
  return {
    onlySource: source.filter((l) => !t.has(l)).slice(0, max),
    onlyTarget: target.filter((l) => !s.has(l)).slice(0, max),
  };
}

/** One line for the task log and the error: "source has [...]; target has [...]". */
export function describeDifference(d: { onlySource: string[]; onlyTarget: string[] }): string {
  const side = (name: string, lines: string[]) => `${name} has ${lines.length ? lines.map((l) => `"${l}"`).join(', ') : 'nothing else'}`;
  return `${side('source', d.onlySource)}; ${side('target', d.onlyTarget)}`;
}
