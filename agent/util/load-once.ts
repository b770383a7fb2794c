/**
 * A value built on first use and shared afterwards. For the services only some requests need
 * (the declarative model with its validator, renderers and templates): an agent that never gets
 * those requests never loads their code. A failed load is retried by the next caller.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
