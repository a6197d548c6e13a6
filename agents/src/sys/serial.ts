// One at a time inside this daemon: each call runs after the previous one ended, whatever its outcome.

/** A queue: `run(fn)` starts fn once every earlier fn of this queue has settled. */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
}
