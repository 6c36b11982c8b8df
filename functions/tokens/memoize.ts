/**
 * Runs `load` once per container and shares its promise; a rejected load is forgotten so
 * the next caller tries again instead of every request failing until a cold start.
 */
export const memoizeUntilFailure = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = load();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
};
