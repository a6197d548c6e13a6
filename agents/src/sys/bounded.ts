// Process-lifetime memos keyed by VE (or port) must not grow with every VE a long-running daemon
// ever saw (issue 15): past `max` entries the oldest is forgotten, which only costs a recheck.

/** Adds `key` to `set` as its newest entry, forgetting the oldest past `max`. */
export function addBounded<T>(set: Set<T>, key: T, max: number): void {
  set.delete(key); // re-adding moves it to the newest end
  set.add(key);
  while (set.size > max) set.delete(set.values().next().value as T);
}
