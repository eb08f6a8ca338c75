// A world map with an arc from a city to each partner, drawn offline from
// Natural Earth's 1:110m land (world-atlas) with d3-geo. The same facts are
// in the list of sister cities beside it, which is the map's text
// alternative.
import { geoNaturalEarth1, geoPath } from "d3-geo";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import land110m from "world-atlas/land-110m.json";

const WIDTH = 960;
const HEIGHT = 500;
const projection = geoNaturalEarth1().fitExtent(
  [
    [4, 4],
    [WIDTH - 4, HEIGHT - 4],
  ],
  { type: "Sphere" },
);
const path = geoPath(projection);
const topology = land110m as unknown as Topology<{ land: GeometryCollection }>;
// Drawn once: the land does not change between cities.
const LAND = path(feature(topology, topology.objects.land)) ?? "";
const SPHERE = path({ type: "Sphere" }) ?? "";

export interface Place {
  key: string;
  name: string;
  latitude: number | null;
  longitude: number | null;
}

export interface Arc {
  partner: Place;
  status: string;
}

export function WorldMap({ city, arcs, labelledBy, describedBy }: { city: Place; arcs: Arc[]; labelledBy: string; describedBy: string }) {
  const located = (p: Place): p is Place & { latitude: number; longitude: number } => p.latitude !== null && p.longitude !== null;
  const home = located(city) ? projection([city.longitude, city.latitude]) : null;
  return (
    <svg class="map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={labelledBy} aria-describedby={describedBy}>
      <path class="sphere" d={SPHERE} />
      <path class="land" d={LAND} />
      {located(city) &&
        arcs.filter((a) => located(a.partner)).map((a) => (
          <path
            class={`arc status-${a.status.toLowerCase()}`}
            data-partner={a.partner.key}
            data-status={a.status}
            d={
              path({
                type: "LineString",
                coordinates: [
                  [city.longitude!, city.latitude!],
                  [a.partner.longitude!, a.partner.latitude!],
                ],
              }) ?? ""
            }
          />
        ))}
      {arcs.filter((a) => located(a.partner)).map((a) => {
        const at = projection([a.partner.longitude!, a.partner.latitude!]);
        return at ? <circle class={`partner status-${a.status.toLowerCase()}`} cx={at[0]} cy={at[1]} r={4} /> : null;
      })}
      {home && <circle class="home" cx={home[0]} cy={home[1]} r={6} />}
    </svg>
  );
}
