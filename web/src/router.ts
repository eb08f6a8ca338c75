// Client-side routes: every page has its own URL (the server answers the
// same page for each), links move with pushState, the back button works.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "home" }
  | { page: "search"; query: string }
  | { page: "city"; key: string; showEnded: boolean; asOf: number | null }
  | { page: "partnership"; key: string }
  | { page: "topics" }
  | { page: "topic"; key: string }
  | { page: "stats" }
  | { page: "missing" };

export function parse(url: URL): Route {
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  if (parts.length === 0) return { page: "home" };
  if (parts[0] === "search" && parts.length === 1) return { page: "search", query: q.get("q") ?? "" };
  if (parts[0] === "city" && parts.length === 2) {
    const asOf = Number.parseInt(q.get("asOf") ?? "", 10);
    return { page: "city", key: parts[1], showEnded: q.get("ended") !== "hide", asOf: Number.isFinite(asOf) ? asOf : null };
  }
  if (parts[0] === "partnership" && parts.length === 2) return { page: "partnership", key: parts[1] };
  if (parts[0] === "topics" && parts.length === 1) return { page: "topics" };
  if (parts[0] === "topic" && parts.length === 2) return { page: "topic", key: parts[1] };
  if (parts[0] === "stats" && parts.length === 1) return { page: "stats" };
  return { page: "missing" };
}

const listeners = new Set<() => void>();

/** Goes to `href` in this page; `replace` keeps the history entry (typing, sliders). */
export function navigate(href: string, replace = false) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  listeners.forEach((l) => l());
}

export function useRoute(): [Route, number] {
  const [state, setState] = useState(() => ({ route: parse(new URL(location.href)), serial: 0 }));
  useEffect(() => {
    const update = () => setState((s) => ({ route: parse(new URL(location.href)), serial: s.serial + 1 }));
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return [state.route, state.serial];
}

/** Same-origin links move within the page; modified clicks open as usual. */
export function interceptLinks() {
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = (event.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/graphql")) return;
    if (parse(url).page === "missing") return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}

export const cityHref = (key: string) => `/city/${encodeURIComponent(key)}`;
export const partnershipHref = (key: string) => `/partnership/${encodeURIComponent(key)}`;
export const topicHref = (key: string) => `/topic/${encodeURIComponent(key)}`;
