/** A koffi function that can also run on libuv's thread pool (`fn.async(...args, callback)`). */
export type AsyncFn<A extends unknown[], R> = ((...args: A) => R) & {
  async(...args: [...A, (error: unknown, result: R) => void]): void;
};

/**
 * Runs `fn` on libuv's thread pool. The connection it uses must not be used by any other thread
 * until the promise settles (Xlib connections are not shared across threads here).
 */
export function callAsync<A extends unknown[], R>(fn: AsyncFn<A, R>, ...args: A): Promise<R> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (error: unknown, result: R) => (error ? reject(error) : resolve(result)));
  });
}
