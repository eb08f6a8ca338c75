import { useEffect, useState } from "preact/hooks";
import { query, type DocumentName } from "./api";

/**
 * A query's answer. While new variables load, the last answer stays shown
 * (no flash between two searches or two years), marked `stale`.
 */
export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "done"; data: T; stale: boolean };

type Answer<T> = { state: "loading" } | { state: "error"; message: string } | { state: "done"; data: T; key: string };

/** Runs a query whenever its variables change; an outdated answer is dropped. */
export function useQuery<T>(name: DocumentName, variables: object, skip = false): Loaded<T> {
  const [result, setResult] = useState<Answer<T>>({ state: "loading" });
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    const controller = new AbortController();
    setResult((r) => (r.state === "done" ? r : { state: "loading" }));
    query<T>(name, variables, controller.signal).then(
      (data) => setResult({ state: "done", data, key }),
      (err: Error) => {
        if (!controller.signal.aborted) setResult({ state: "error", message: err.message });
      },
    );
    return () => controller.abort();
  }, [name, key, skip]);
  return result.state === "done" ? { state: "done", data: result.data, stale: result.key !== key } : result;
}

/** The document's title, for history and sharing. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Twinning explorer` : "Twinning explorer";
  }, [title]);
}
