// Reads an OpenVZ CTID.conf as vzctl writes it (OpenVZ 6 and 7): shell variable assignments,
// KEY="value", KEY='value' or KEY=value, comments and blank lines. Never evaluated by a shell.

export interface OpenvzConf {
  /** Parameters in file order (the last assignment of a key wins, as in the shell). */
  params: Map<string, string>;
  /** Lines that are not a plain assignment (reported by the dry run, never guessed at). */
  unreadable: string[];
}

const ASSIGN = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

function unquote(v: string): string | null {
  const t = v.trim();
  if (t.startsWith('"')) return t.endsWith('"') && t.length >= 2 && !/(^|[^\\])"/.test(t.slice(1, -1)) ? t.slice(1, -1).replace(/\\(["\\$`])/g, '$1') : null;
  if (t.startsWith("'")) return t.endsWith("'") && t.length >= 2 && !t.slice(1, -1).includes("'") ? t.slice(1, -1) : null;
  // Unquoted: a single word, a trailing comment allowed.
  const word = t.replace(/\s+#.*$/, '');
  return /^[^\s"'`$\\;&|<>()]*$/.test(word) ? word : null;
}

export function parseOpenvzConf(text: string): OpenvzConf {
  const params = new Map<string, string>();
  const unreadable: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = line.match(ASSIGN);
    const v = m ? unquote(m[2]) : null;
    if (!m || v === null) unreadable.push(line.slice(0, 200));
    else params.set(m[1].toUpperCase(), v);
  }
  return { params, unreadable };
}
