import { useEffect, useState } from "preact/hooks";
import type { PartnershipQuery, TimelineItemAddedSubscription, TimelineItemFieldsFragment as Item } from "../generated/graphql";
import { subscribe } from "../api";
import { Await, StatusBadge } from "../components/Status";
import { TimelineChart, TimelineList, itemId, itemTitle, span } from "../components/Timeline";
import { countryName, nativeLang, partialDate, statusLabel } from "../format";
import { cityHref } from "../router";
import { useQuery, useTitle } from "../useQuery";

/** `items` with `added` in its place: after every item that starts no later. */
function insert(items: Item[], added: Item): Item[] {
  const id = itemId(added);
  if (items.some((i) => itemId(i) === id)) return items;
  const start = span(added)?.start ?? Infinity;
  const at = items.findIndex((i) => (span(i)?.start ?? Infinity) > start);
  return at < 0 ? [...items, added] : [...items.slice(0, at), added, ...items.slice(at)];
}

export function PartnershipPage({ partnershipKey }: { partnershipKey: string }) {
  const result = useQuery<PartnershipQuery>("Partnership", { key: partnershipKey });
  const [added, setAdded] = useState<Item[]>([]);
  const [live, setLive] = useState<{ state: "connecting" | "live" | "error"; message?: string }>({ state: "connecting" });
  const [announcement, setAnnouncement] = useState("");
  useEffect(() => {
    const stop = subscribe<TimelineItemAddedSubscription>(
      "TimelineItemAdded",
      { partnership: partnershipKey },
      (data) => {
        setAdded((a) => [...a, data.timelineItemAdded]);
        setAnnouncement(`Added to the timeline: ${itemTitle(data.timelineItemAdded)}`);
      },
      (message) => setLive({ state: "error", message }),
      () => setLive({ state: "live" }),
    );
    return stop;
  }, [partnershipKey]);
  const title = result.state === "done" ? result.data.partnership?.title ?? "" : "";
  useTitle(title || partnershipKey);
  const [openId, setOpenId] = useState<string | null>(null);
  useEffect(() => {
    if (!openId) return;
    const details = document.getElementById(openId)?.querySelector("details");
    if (details) {
      details.open = true;
      details.querySelector("summary")?.focus();
    }
  }, [openId]);

  return (
    <Await result={result}>
      {({ partnership }) => {
        if (!partnership)
          return (
            <>
              <h1 tabIndex={-1}>No such partnership</h1>
              <p>There is no partnership with the key “{partnershipKey}”.</p>
            </>
          );
        const items = added.reduce(insert, partnership.timeline.nodes);
        const fresh = new Set(added.map(itemId));
        return (
          <>
            <h1 tabIndex={-1}>{partnership.title}</h1>
            <p>
              <StatusBadge status={partnership.status} /> {partnership.kind.toLowerCase().replace(/_/g, " ")}
              {partnership.established && `, established ${partialDate(partnership.established.value)}`}
              {partnership.ended && `, ended ${partialDate(partnership.ended.value)}`}
            </p>
            <section aria-labelledby="cities">
              <h2 id="cities">The two cities</h2>
              <ul class="pair">
                {partnership.cities.map((c) => (
                  <li>
                    <a href={cityHref(c.key)}>
                      {c.name}
                      {c.nativeName && c.nativeName !== c.name && (
                        <>
                          {" "}
                          <span lang={nativeLang(c.nativeName, undefined, c.countryCode)}>{c.nativeName}</span>
                        </>
                      )}
                    </a>{" "}
                    <span class="muted">{countryName(c.countryCode)}</span>
                  </li>
                ))}
              </ul>
            </section>
            {partnership.notes && <p>{partnership.notes}</p>}
            <section aria-labelledby="steps">
              <h2 id="steps">Status history</h2>
              <ol class="steps">
                {partnership.statusHistory.nodes.map((s) => (
                  <li>
                    <strong>{statusLabel(s.status)}</strong> <span class="muted">{partialDate(s.date?.value)}</span>
                    {s.note && ` — ${s.note}`}
                  </li>
                ))}
              </ol>
            </section>
            <section aria-labelledby="timeline-title">
              <h2 id="timeline-title">Timeline</h2>
              <p class="muted">
                {items.length} items: visits, protocols, events and status changes, each drawn over the time its date covers.{" "}
                <span class={`live live-${live.state}`} data-live={live.state}>
                  {live.state === "error"
                    ? `Live updates stopped: ${live.message}`
                    : live.state === "live"
                      ? "Live: new items appear as they are recorded."
                      : "Connecting for live updates…"}
                </span>
              </p>
              <div class="timeline-wrap">
                <TimelineChart items={items} onOpen={setOpenId} />
              </div>
              <p class="visually-hidden" aria-live="polite">
                {announcement}
              </p>
              <TimelineList items={items} fresh={fresh} />
            </section>
          </>
        );
      }}
    </Await>
  );
}
