import type { SearchQuery } from "../generated/graphql";
import { Await } from "../components/Status";
import { useQuery, useTitle } from "../useQuery";
import { cityHref, partnershipHref, topicHref } from "../router";

type Edge = SearchQuery["search"]["edges"][number];
type Match = Edge["textMatches"][number];

const KIND_LABEL: Record<string, string> = {
  City: "Cities",
  Partnership: "Partnerships",
  Visit: "Visits",
  Protocol: "Protocols",
  Event: "Events",
  Topic: "Topics",
  Organization: "Organizations",
  Source: "Sources",
};

const FIELD_LABEL: Record<string, string> = { nativeName: "native name", translations: "names" };

/** Where a result opens: its own page, or the page it belongs to. */
function href(node: Edge["node"]): string | undefined {
  switch (node.__typename) {
    case "City":
      return cityHref(node.key);
    case "Partnership":
      return partnershipHref(node.key);
    case "Topic":
      return topicHref(node.key);
    case "Visit":
    case "Protocol":
      return node.partnership ? partnershipHref(node.partnership.key) : undefined;
    case "Event":
      return cityHref(node.hostCity.key);
    case "Source":
      return node.url ?? undefined;
    default:
      return undefined;
  }
}

/** The matched text with its matched words marked. */
function Snippet({ match }: { match: Match }) {
  const parts = [];
  // Positions count characters (code points), not UTF-16 units.
  const chars = Array.from(match.fragment);
  let at = 0;
  for (const h of [...match.highlights].sort((a, b) => a.start - b.start)) {
    if (h.start < at) continue;
    parts.push(chars.slice(at, h.start).join(""));
    parts.push(<mark>{chars.slice(h.start, h.end).join("")}</mark>);
    at = h.end;
  }
  parts.push(chars.slice(at).join(""));
  return (
    <p class="snippet">
      <span class="muted">{FIELD_LABEL[match.field] ?? match.field}: </span>
      {parts}
    </p>
  );
}

export function SearchPage({ query }: { query: string }) {
  const text = query.trim();
  useTitle(text ? `Search: ${text}` : "Search");
  const result = useQuery<SearchQuery>("Search", { query: text }, !text);
  if (!text)
    return (
      <>
        <h1 tabIndex={-1}>Search</h1>
        <p>Type a name in any script or a few words: “Мурманск”, “哈尔滨”, “cerebral palsy”.</p>
      </>
    );
  return (
    <>
      <h1 tabIndex={-1}>Search: “{text}”</h1>
      <Await result={result}>
        {(data) => {
          const groups = new Map<string, Edge[]>();
          for (const edge of data.search.edges) {
            const kind = edge.node.__typename;
            groups.set(kind, [...(groups.get(kind) ?? []), edge]);
          }
          const shown = data.search.edges.length;
          const stale = result.state === "done" && result.stale;
          return (
            <div class="search-results" aria-busy={stale ? "true" : "false"}>
              <p role="status" class="muted">
                {data.search.totalCount === 0
                  ? "Nothing found."
                  : `${data.search.totalCount} found${shown < data.search.totalCount ? `, the best ${shown} shown` : ""}.`}
              </p>
              {[...groups].map(([kind, edges]) => (
                <section class="result-group" aria-labelledby={`group-${kind}`}>
                  <h2 id={`group-${kind}`}>{KIND_LABEL[kind] ?? kind}</h2>
                  <ul class="results" data-kind={kind}>
                    {edges.map((edge) => {
                      const to = href(edge.node);
                      return (
                        <li>
                          {to ? <a href={to}>{edge.node.title}</a> : <span>{edge.node.title}</span>}
                          {edge.textMatches.slice(0, 1).map((m) => (
                            <Snippet match={m} />
                          ))}
                        </li>
                      );
                    })}
                  </ul>
                </section>
              ))}
            </div>
          );
        }}
      </Await>
    </>
  );
}
