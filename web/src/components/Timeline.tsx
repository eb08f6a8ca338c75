// A partnership's story on one time axis: visits, protocols, events and
// status changes in lanes, each partial date drawn as the span it covers
// ("2016" a year-long bar, "2015-10" a month). The list under it holds the
// same items in order, each opening its details and sources: the chart's
// text alternative, and what the keyboard moves through.
import type { TimelineItemFieldsFragment as Item } from "../generated/graphql";
import { partialDate, statusLabel } from "../format";
import { cityHref, topicHref } from "../router";

const LANES = ["Visit", "Protocol", "Event", "StatusChange"] as const;
const LANE_LABEL: Record<string, string> = { Visit: "Visits", Protocol: "Protocols", Event: "Events", StatusChange: "Status" };
const DAY = 86_400_000;
const WIDTH = 1000;
const LANE_HEIGHT = 28;
const LEFT = 84;
const TOP = 24;

export interface Span {
  start: number;
  end: number; // exclusive: the day after the last day covered
  value: string;
  precision: string;
}

/** The days an item covers, or null for a step of unknown date. */
export function span(item: Item): Span | null {
  const d =
    item.__typename === "Visit" || item.__typename === "Event"
      ? { ...item.start, last: item.end?.end ?? item.start.end }
      : item.__typename === "Protocol"
        ? item.signed && { ...item.signed, last: item.signed.end }
        : item.date && { ...item.date, last: item.date.end };
  if (!d) return null;
  return { start: Date.parse(d.start), end: Date.parse(d.last) + DAY, value: d.value, precision: d.precision };
}

/** An item's id in the page; a status step has no key, its status and date name it. */
export function itemId(item: Item): string {
  return item.__typename === "StatusChange"
    ? `status-${item.status.toLowerCase()}-${item.date?.value ?? "undated"}`
    : `${item.__typename.toLowerCase()}-${item.key}`;
}

export function itemTitle(item: Item): string {
  return item.__typename === "StatusChange" ? `Status: ${statusLabel(item.status)}${item.note ? ` (${item.note})` : ""}` : item.title;
}

export function TimelineChart({ items, onOpen }: { items: Item[]; onOpen: (id: string) => void }) {
  const spans = items.map((item) => ({ item, id: itemId(item), span: span(item) })).filter((x) => x.span);
  if (spans.length === 0) return null;
  const first = new Date(Math.min(...spans.map((x) => x.span!.start))).getUTCFullYear();
  const last = new Date(Math.max(...spans.map((x) => x.span!.end - 1))).getUTCFullYear() + 1;
  const from = Date.UTC(first, 0, 1);
  const to = Date.UTC(last, 0, 1);
  const x = (t: number) => LEFT + ((t - from) / (to - from)) * (WIDTH - LEFT - 8);
  const years = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const step = Math.max(1, Math.ceil(years.length / 12));
  const height = TOP + LANES.length * LANE_HEIGHT + 4;
  return (
    <svg class="timeline" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="timeline-title" data-from={from} data-to={to}>
      {years.map((y, i) => (
        <g class="tick">
          <line x1={x(Date.UTC(y, 0, 1))} x2={x(Date.UTC(y, 0, 1))} y1={TOP - 6} y2={height} />
          {i % step === 0 && y < last && (
            <text x={x(Date.UTC(y, 0, 1)) + 2} y={TOP - 10}>
              {y}
            </text>
          )}
        </g>
      ))}
      {LANES.map((lane, i) => (
        <text class="lane" x={0} y={TOP + i * LANE_HEIGHT + LANE_HEIGHT / 2 + 4}>
          {LANE_LABEL[lane]}
        </text>
      ))}
      {spans.map(({ item, id, span }) => {
        const lane = LANES.indexOf(item.__typename);
        const x0 = x(span!.start);
        const w = Math.max(3, x(span!.end) - x0);
        return (
          <rect
            class={`item kind-${item.__typename.toLowerCase()}`}
            data-item={id}
            data-value={span!.value}
            data-precision={span!.precision}
            data-start={span!.start}
            data-end={span!.end}
            x={x0}
            y={TOP + lane * LANE_HEIGHT + 5}
            width={w}
            height={LANE_HEIGHT - 10}
            onClick={() => onOpen(id)}
          >
            <title>
              {itemTitle(item)} — {span!.value}
            </title>
          </rect>
        );
      })}
    </svg>
  );
}

function Sources({ sources }: { sources: { key: string; title: string; url: string | null; publisher: string | null }[] }) {
  if (sources.length === 0) return null;
  return (
    <>
      <dt>Sources</dt>
      <dd>
        <ul>
          {sources.map((s) => (
            <li>
              {s.url ? <a href={s.url}>{s.title}</a> : s.title}
              {s.publisher && <span class="muted"> — {s.publisher}</span>}
            </li>
          ))}
        </ul>
      </dd>
    </>
  );
}

function Topics({ topics }: { topics: { key: string; name: string }[] }) {
  if (topics.length === 0) return null;
  return (
    <>
      <dt>Topics</dt>
      <dd>
        {topics.map((t, i) => (
          <>
            {i > 0 && ", "}
            <a href={topicHref(t.key)}>{t.name}</a>
          </>
        ))}
      </dd>
    </>
  );
}

function Details({ item }: { item: Item }) {
  switch (item.__typename) {
    case "Visit":
      return (
        <dl>
          <dt>Delegation</dt>
          <dd>
            from <a href={cityHref(item.fromCity.key)}>{item.fromCity.name}</a> to{" "}
            <a href={cityHref(item.toCity.key)}>{item.toCity.name}</a>
            {item.headOfDelegation && `, led by ${item.headOfDelegation}`}
          </dd>
          {item.purpose && (
            <>
              <dt>Purpose</dt>
              <dd>{item.purpose}</dd>
            </>
          )}
          <Topics topics={item.topics.nodes} />
          {item.organizations.nodes.length > 0 && (
            <>
              <dt>Organizations</dt>
              <dd>{item.organizations.nodes.map((o) => o.name).join(", ")}</dd>
            </>
          )}
          {item.summary && (
            <>
              <dt>Summary</dt>
              <dd>{item.summary}</dd>
            </>
          )}
          <Sources sources={item.sources.nodes} />
        </dl>
      );
    case "Protocol":
      return (
        <dl>
          <dt>Kind</dt>
          <dd>{item.protocolKind.toLowerCase().replace(/_/g, " ")}</dd>
          <Topics topics={item.topics.nodes} />
          {item.summary && (
            <>
              <dt>Summary</dt>
              <dd>{item.summary}</dd>
            </>
          )}
          <Sources sources={item.sources.nodes} />
        </dl>
      );
    case "Event":
      return (
        <dl>
          <dt>Where</dt>
          <dd>
            <a href={cityHref(item.hostCity.key)}>{item.hostCity.name}</a> ({item.eventKind.toLowerCase().replace(/_/g, " ")})
          </dd>
          <Topics topics={item.topics.nodes} />
          {item.description && (
            <>
              <dt>Description</dt>
              <dd>{item.description}</dd>
            </>
          )}
          <Sources sources={item.sources.nodes} />
        </dl>
      );
    case "StatusChange":
      return (
        <dl>
          <dt>Status</dt>
          <dd>{statusLabel(item.status)}</dd>
          {item.note && (
            <>
              <dt>Note</dt>
              <dd>{item.note}</dd>
            </>
          )}
          <Sources sources={item.sources.nodes} />
        </dl>
      );
  }
}

const KIND_WORD: Record<string, string> = { Visit: "Visit", Protocol: "Protocol", Event: "Event", StatusChange: "Status" };

export function TimelineList({ items, fresh }: { items: Item[]; fresh: Set<string> }) {
  return (
    <ol class="timeline-list" aria-label="Timeline, in order">
      {items.map((item) => {
        const id = itemId(item);
        const s = span(item);
        return (
          <li id={id} data-kind={item.__typename} data-date={s?.value ?? ""} class={fresh.has(id) ? "fresh" : undefined}>
            <details>
              <summary>
                <span class={`kind kind-${item.__typename.toLowerCase()}`}>{KIND_WORD[item.__typename]}</span>{" "}
                <time dateTime={s?.value}>{partialDate(s?.value)}</time> — {itemTitle(item)}
              </summary>
              <Details item={item} />
            </details>
          </li>
        );
      })}
    </ol>
  );
}
