import type { CityQuery } from "../generated/graphql";
import { Await, StatusBadge } from "../components/Status";
import { WorldMap } from "../components/WorldMap";
import { countryName, nativeLang, ordinal, partialDate, statusLabel } from "../format";
import { cityHref, navigate, partnershipHref } from "../router";
import { useQuery, useTitle } from "../useQuery";

const FIRST_YEAR = 1945;
const THIS_YEAR = new Date().getFullYear();
const LEGEND = ["ACTIVE", "AGREEMENT_SIGNED", "INTENT_SIGNED", "PROPOSED", "SUSPENDED", "ENDED"];

function href(key: string, showEnded: boolean, asOf: number | null) {
  const params = new URLSearchParams();
  if (!showEnded) params.set("ended", "hide");
  if (asOf !== null) params.set("asOf", String(asOf));
  const q = params.toString();
  return cityHref(key) + (q ? `?${q}` : "");
}

export function CityPage({ cityKey, showEnded, asOf }: { cityKey: string; showEnded: boolean; asOf: number | null }) {
  const result = useQuery<CityQuery>("City", {
    key: cityKey,
    includeEnded: showEnded,
    asOf: asOf === null ? null : String(asOf),
  });
  const name = result.state === "done" ? result.data.city?.name ?? "" : "";
  useTitle(name || cityKey);
  return (
    <Await result={result}>
      {({ city }) => {
        if (!city)
          return (
            <>
              <h1 tabIndex={-1}>No such city</h1>
              <p>There is no city with the key “{cityKey}”.</p>
            </>
          );
        const lang = nativeLang(city.nativeName, city.translations, city.countryCode);
        const others = city.translations.filter((t) => t.name !== city.name && t.name !== city.nativeName);
        const sisters = city.sisterCities;
        const when = asOf === null ? "today" : `in ${asOf}`;
        return (
          <>
            <h1 tabIndex={-1}>
              {city.name}
              {city.nativeName && city.nativeName !== city.name && (
                <>
                  {" "}
                  <span class="native" lang={lang}>
                    {city.nativeName}
                  </span>
                </>
              )}
            </h1>
            {others.length > 0 && (
              <p class="names">
                Also:{" "}
                {others.map((t, i) => (
                  <>
                    {i > 0 && ", "}
                    <span lang={t.lang}>{t.name}</span>
                  </>
                ))}
              </p>
            )}
            <section aria-labelledby="facts">
              <h2 id="facts">Key facts</h2>
              <dl class="facts">
                <dt>Country</dt>
                <dd>{countryName(city.countryCode)}</dd>
                {city.region && (
                  <>
                    <dt>Region</dt>
                    <dd>{city.region}</dd>
                  </>
                )}
                {city.population !== null && (
                  <>
                    <dt>Population</dt>
                    <dd>{city.population.toLocaleString("en")}</dd>
                  </>
                )}
                {city.latitude !== null && city.longitude !== null && (
                  <>
                    <dt>Coordinates</dt>
                    <dd>
                      {city.latitude.toFixed(2)}°, {city.longitude.toFixed(2)}°
                    </dd>
                  </>
                )}
                {city.timezone && (
                  <>
                    <dt>Time zone</dt>
                    <dd>{city.timezone}</dd>
                  </>
                )}
              </dl>
              {city.sources.nodes.length > 0 && (
                <p class="sources">
                  Sources:{" "}
                  {city.sources.nodes.map((s, i) => (
                    <>
                      {i > 0 && "; "}
                      {s.url ? <a href={s.url}>{s.title}</a> : s.title}
                    </>
                  ))}
                </p>
              )}
            </section>
            <section aria-labelledby="partners">
              <h2 id="partners">Sister cities {when}</h2>
              <form class="controls" onSubmit={(e) => e.preventDefault()}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={showEnded}
                    onChange={(e) => navigate(href(city.key, (e.target as HTMLInputElement).checked, asOf), true)}
                  />{" "}
                  Show ended partnerships
                </label>
                <div class="year">
                  <label for="as-of">
                    As of: <output for="as-of">{asOf ?? "today"}</output>
                  </label>
                  <input
                    id="as-of"
                    type="range"
                    min={FIRST_YEAR}
                    max={THIS_YEAR}
                    step={1}
                    value={asOf ?? THIS_YEAR}
                    aria-valuetext={asOf === null ? "today" : String(asOf)}
                    onInput={(e) => {
                      const year = Number((e.target as HTMLInputElement).value);
                      navigate(href(city.key, showEnded, year >= THIS_YEAR ? null : year), true);
                    }}
                  />
                </div>
              </form>
              <p id="partner-count" role="status">
                {sisters.length} sister {sisters.length === 1 ? "city" : "cities"} {when}
                {showEnded ? ", ended ones included" : ", ended ones hidden"}.
              </p>
              <div class="map-wrap">
                <p id="map-title" class="visually-hidden">
                  World map: arcs from {city.name} to its {sisters.length} sister cities {when}, coloured by status; the list
                  below says the same.
                </p>
                <WorldMap
                  city={city}
                  arcs={sisters.map((s) => ({ partner: s.city, status: s.partnership.status }))}
                  labelledBy="map-title"
                  describedBy="partner-count"
                />
                <ul class="legend" aria-label="Map legend">
                  {LEGEND.map((s) => (
                    <li>
                      <span class={`swatch status-${s.toLowerCase()}`} aria-hidden="true" /> {statusLabel(s)}
                    </li>
                  ))}
                </ul>
              </div>
              <ol class="sisters" aria-label={`Sister cities of ${city.name}, in order of establishment`}>
                {sisters.map((s) => {
                  const partnerLang = nativeLang(s.city.nativeName, undefined, s.city.countryCode);
                  return (
                    <li data-partner={s.city.key} data-ordinal={s.ordinal ?? ""}>
                      <a href={partnershipHref(s.partnership.key)}>
                        {s.city.name}
                        {s.city.nativeName && s.city.nativeName !== s.city.name && (
                          <>
                            {" "}
                            <span lang={partnerLang}>{s.city.nativeName}</span>
                          </>
                        )}
                      </a>{" "}
                      <span class="muted">({countryName(s.city.countryCode)})</span> — {s.ordinal ? `${ordinal(s.ordinal)}, ` : ""}
                      {s.partnership.established?.value ?? "date unknown"}{" "}
                      <StatusBadge status={s.partnership.status} />
                      {s.partnership.ended && <span class="muted"> ended {partialDate(s.partnership.ended.value)}</span>}{" "}
                      <a class="more" href={cityHref(s.city.key)} aria-label={`${s.city.name}: city page`}>
                        city
                      </a>
                    </li>
                  );
                })}
              </ol>
            </section>
          </>
        );
      }}
    </Await>
  );
}
