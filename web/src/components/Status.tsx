import type { ComponentChildren } from "preact";
import type { Loaded } from "../useQuery";

/** What a page shows while its data loads or when it could not. */
export function Await<T>({ result, children }: { result: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (result.state === "loading") return <p class="muted" role="status">Loading…</p>;
  if (result.state === "error") return <p class="error" role="alert">Could not load this page: {result.message}</p>;
  return <>{children(result.data)}</>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status.toLowerCase().replace(/_/g, " ")}</span>;
}
