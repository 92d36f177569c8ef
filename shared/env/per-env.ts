/**
 * Memoises `build(env)` per environment object. A Workers isolate hands every request the same
 * `env`, so validation and the clients built from it happen once per isolate, not per request.
 * A build that throws (invalid env) is not cached: it throws again, naming the problem, each time.
 */
export function perEnv<T>(build: (env: object) => T): (env: object) => T {
  const built = new WeakMap<object, T>();
  return (env) => {
    if (!built.has(env)) built.set(env, build(env));
    return built.get(env) as T;
  };
}
