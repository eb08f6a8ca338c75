import type { TopicQuery, TopicsQuery } from "../generated/graphql";
import { Await } from "../components/Status";
import { partialDate } from "../format";
import { cityHref, partnershipHref, topicHref } from "../router";
import { useQuery, useTitle } from "../useQuery";

type Node = TopicsQuery["topics"]["nodes"][number];

function Tree({ nodes, parent }: { nodes: Node[]; parent: string | null }) {
  const children = nodes.filter((n) => (n.parent?.key ?? null) === parent);
  if (children.length === 0) return null;
  return (
    <ul class="tree">
      {children.map((n) => (
        <li>
          <a href={topicHref(n.key)}>{n.name}</a>
          <Tree nodes={nodes} parent={n.key} />
        </li>
      ))}
    </ul>
  );
}

export function TopicsPage() {
  useTitle("Topics");
  const result = useQuery<TopicsQuery>("Topics", {});
  return (
    <>
      <h1 tabIndex={-1}>Topics</h1>
      <p>What the partnerships cooperate on. A topic’s page lists the visits, protocols and events about it or its subtopics.</p>
      <Await result={result}>{(data) => <Tree nodes={data.topics.nodes} parent={null} />}</Await>
    </>
  );
}

export function TopicPage({ topicKey }: { topicKey: string }) {
  const result = useQuery<TopicQuery>("Topic", { key: topicKey });
  useTitle(result.state === "done" ? result.data.topic?.name ?? topicKey : topicKey);
  return (
    <Await result={result}>
      {({ topic }) => {
        if (!topic)
          return (
            <>
              <h1 tabIndex={-1}>No such topic</h1>
              <p>There is no topic with the key “{topicKey}”.</p>
            </>
          );
        return (
          <>
            <nav aria-label="Breadcrumb" class="crumbs">
              <ol>
                <li>
                  <a href="/topics">Topics</a>
                </li>
                {topic.ancestors.map((a) => (
                  <li>
                    <a href={topicHref(a.key)}>{a.name}</a>
                  </li>
                ))}
              </ol>
            </nav>
            <h1 tabIndex={-1}>{topic.name}</h1>
            {topic.description && <p>{topic.description}</p>}
            {topic.children.nodes.length > 0 && (
              <p>
                Subtopics:{" "}
                {topic.children.nodes.map((c, i) => (
                  <>
                    {i > 0 && ", "}
                    <a href={topicHref(c.key)}>{c.name}</a>
                  </>
                ))}
              </p>
            )}
            <section aria-labelledby="visits">
              <h2 id="visits">Visits ({topic.visits.nodes.length})</h2>
              <ul class="records">
                {topic.visits.nodes.map((v) => (
                  <li>
                    {v.partnership ? <a href={partnershipHref(v.partnership.key)}>{v.title}</a> : v.title}
                    {v.purpose && <span class="muted"> — {v.purpose}</span>}
                  </li>
                ))}
              </ul>
            </section>
            <section aria-labelledby="protocols">
              <h2 id="protocols">Protocols ({topic.protocols.nodes.length})</h2>
              <ul class="records">
                {topic.protocols.nodes.map((p) => (
                  <li>
                    {p.partnership ? <a href={partnershipHref(p.partnership.key)}>{p.title}</a> : p.title}
                    <span class="muted"> — {partialDate(p.signed?.value)}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section aria-labelledby="events">
              <h2 id="events">Events ({topic.events.nodes.length})</h2>
              <ul class="records">
                {topic.events.nodes.map((e) => (
                  <li>
                    {e.title}
                    <span class="muted">
                      {" "}
                      — {partialDate(e.start.value)}, <a href={cityHref(e.hostCity.key)}>{e.hostCity.name}</a>
                    </span>
                  </li>
                ))}
              </ul>
            </section>
          </>
        );
      }}
    </Await>
  );
}
