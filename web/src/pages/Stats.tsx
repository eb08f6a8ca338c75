import type { StatsQuery } from "../generated/graphql";
import { Await } from "../components/Status";
import { countryName, statusLabel } from "../format";
import { topicHref } from "../router";
import { useQuery, useTitle } from "../useQuery";

type Count = { key: string; count: number };

/** Partnerships by year established: a column per year, the table beside it says the same. */
function YearChart({ counts }: { counts: Count[] }) {
  const years = counts.map((c) => Number(c.key)).filter(Number.isFinite);
  if (years.length === 0) return <p>No dates yet.</p>;
  const first = Math.min(...years);
  const last = Math.max(...years);
  const max = Math.max(...counts.map((c) => c.count));
  const W = 960;
  const H = 220;
  const bottom = 24;
  const slot = (W - 40) / (last - first + 1);
  const x = (y: number) => 30 + (y - first) * slot;
  const h = (n: number) => (n / max) * (H - bottom - 16);
  const decade = (y: number) => y % 10 === 0;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="by-year" aria-describedby="by-year-table">
      {Array.from({ length: max }, (_, i) => i + 1).map((n) => (
        <g class="grid">
          <line x1={28} x2={W} y1={H - bottom - h(n)} y2={H - bottom - h(n)} />
          <text x={0} y={H - bottom - h(n) + 4}>
            {n}
          </text>
        </g>
      ))}
      {counts.map((c) => (
        <rect class="bar" x={x(Number(c.key)) + 1} width={Math.max(2, slot - 2)} y={H - bottom - h(c.count)} height={h(c.count)}>
          <title>
            {c.key}: {c.count}
          </title>
        </rect>
      ))}
      {Array.from({ length: last - first + 1 }, (_, i) => first + i)
        .filter((y) => decade(y) || y === first)
        .map((y) => (
          <text class="axis" x={x(y)} y={H - 6}>
            {y}
          </text>
        ))}
    </svg>
  );
}

/** Counts as bars of a list: readable as text, at any width. */
function Bars({ counts, label, href }: { counts: Count[]; label: (key: string) => string; href?: (key: string) => string }) {
  const max = Math.max(1, ...counts.map((c) => c.count));
  return (
    <ul class="bars">
      {counts.map((c) => (
        <li>
          <span class="bar-label">{href ? <a href={href(c.key)}>{label(c.key)}</a> : label(c.key)}</span>
          <span class="bar-track" aria-hidden="true">
            <span class="bar-fill" style={{ width: `${(c.count / max) * 100}%` }} />
          </span>
          <span class="bar-count">{c.count}</span>
        </li>
      ))}
    </ul>
  );
}

export function StatsPage() {
  useTitle("Statistics");
  const result = useQuery<StatsQuery>("Stats", {});
  return (
    <>
      <h1 tabIndex={-1}>Statistics</h1>
      <Await result={result}>
        {({ stats }) => {
          const byYear = [...stats.partnershipsByYear].sort((a, b) => a.key.localeCompare(b.key));
          return (
            <>
              <section aria-labelledby="by-year">
                <h2 id="by-year">Partnerships by year established</h2>
                <div class="chart-wrap">
                  <YearChart counts={byYear} />
                </div>
                <details>
                  <summary>The same as a table</summary>
                  <table id="by-year-table">
                    <thead>
                      <tr>
                        <th scope="col">Year</th>
                        <th scope="col">Partnerships</th>
                      </tr>
                    </thead>
                    <tbody>
                      {byYear.map((c) => (
                        <tr>
                          <td>{c.key}</td>
                          <td>{c.count}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              </section>
              <div class="columns">
                <section aria-labelledby="by-status">
                  <h2 id="by-status">By status</h2>
                  <Bars counts={stats.partnershipsByStatus} label={statusLabel} />
                </section>
                <section aria-labelledby="by-country">
                  <h2 id="by-country">By country</h2>
                  <Bars counts={stats.partnershipsByCountry} label={countryName} />
                </section>
                <section aria-labelledby="by-topic">
                  <h2 id="by-topic">Visits by topic</h2>
                  <Bars counts={stats.visitsByTopic} label={(k) => k.replace(/-/g, " ")} href={topicHref} />
                </section>
              </div>
            </>
          );
        }}
      </Await>
    </>
  );
}
