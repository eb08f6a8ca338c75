import { useEffect, useState } from "preact/hooks";
import { query, type DocumentName } from "./api";

export type Loaded<T> = { state: "loading" } | { state: "error"; message: string } | { state: "done"; data: T };

/** Runs a query whenever its variables change; an outdated answer is dropped. */
export function useQuery<T>(name: DocumentName, variables: object, skip = false): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    const controller = new AbortController();
    setResult((r) => (r.state === "done" ? r : { state: "loading" }));
    query<T>(name, variables, controller.signal).then(
      (data) => setResult({ state: "done", data }),
      (err: Error) => {
        if (!controller.signal.aborted) setResult({ state: "error", message: err.message });
      },
    );
    return () => controller.abort();
  }, [name, key, skip]);
  return result;
}

/** The document's title, for history and sharing. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Twinning explorer` : "Twinning explorer";
  }, [title]);
}
