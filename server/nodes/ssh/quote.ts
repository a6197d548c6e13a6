// POSIX sh quoting for the few fixed commands the bootstrap runs over SSH (exec takes one string).

/**
 * Quote one argument for a POSIX shell: wrap in single quotes, and write each embedded `'`
 * as `'\''`. The result is always exactly one word with no expansion of any kind.
 * NUL cannot be passed through argv at all, so it is refused rather than silently truncated.
 */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('argument contains a NUL byte');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Build a command line from an argv array: every element (the program too) is quoted, so the
 * remote shell sees exactly these words. Use this instead of string templates for ssh exec.
 */
export function shCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuote).join(' ');
}
