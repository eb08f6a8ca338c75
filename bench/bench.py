#!/usr/bin/env python3
"""Helpers for bench/run (standard library only).

    bench.py body QUERY.graphql [VARIABLES.json]
                                                print the POST body (JSON)
    bench.py check QUERY DATA.json ANSWER.json [BODY.json]
                                                check an answer against the
                                                generated data; exit 1 if wrong
    bench.py check-peer QUERY DATA.json ANSWER.json [TWINNING.json]
                                                check the peer's answer (PostGraphile
                                                or the SQL limit, its naming) against
                                                the data, and its counts against
                                                Twinning's answer if given
    bench.py table RESULTS.tsv                  print the results table
    bench.py ratios RESULTS.tsv                 print Twinning's ratios to the
                                                peer and to the SQL limit

Q6 (mutations; each request needs new variables, see bench/README.md):

    bench.py q6-pool DATA.json POOL.json        pick its cities, topics and
                                                partnerships from the data
    bench.py q6-body POOL.json Q6.graphql URL TAG
                                                print one request's body (reads
                                                the probe partnership's status)
    bench.py q6-lua POOL.json Q6.graphql URL TAG THREADS
                                                print the data for bench/q6.lua
                                                (reads the statuses it toggles)

URL is the server's GraphQL endpoint; the API key comes from BENCH_AUTH.

The checks recompute each answer from the generated document itself (not
from the database), so they hold whichever database served it.
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict


def body(path, variables_path=None):
    with open(path, encoding="utf-8") as f:
        query = f.read()
    request = {"query": query}
    if variables_path:
        with open(variables_path, encoding="utf-8") as f:
            request["variables"] = json.load(f)
    print(json.dumps(request))


# --------------------------------------------------------------------------
# Answer checks
# --------------------------------------------------------------------------


class Wrong(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Wrong(message)


def same(got, want, what):
    if got != want:
        g, w = repr(got), repr(want)
        raise Wrong(f"{what}: got {g[:300]}, want {w[:300]}")


def descendants(data, key):
    children = defaultdict(list)
    for t in data["topics"]:
        if t.get("parent"):
            children[t["parent"]].append(t["key"])
    out, todo = set(), [key]
    while todo:
        k = todo.pop()
        out.add(k)
        todo.extend(children[k])
    return out


def visit_order(v):
    # START_DATE: earliest start first, coarser dates before finer ones that
    # start the same day, then the key. The generator writes full dates only;
    # a shorter date (year or month) sorts before a full one of the same start.
    return (v["startDate"].ljust(10, " "), len(v["startDate"]), v["key"])


def check_q1(data, answer):
    city = answer["data"]["city"]
    expect(city is not None, "city(key: murmansk) is null")
    same(city["key"], "murmansk", "city key")
    names = {c["key"]: c["name"] for c in data["cities"]}
    want = sorted(p["key"] for p in data["partnerships"] if "murmansk" in p["cities"])
    nodes = city["partnerships"]["nodes"]
    same([n["key"] for n in nodes], want, "murmansk's partnerships (by key)")
    partners = []
    for n in nodes:
        keys = [c["key"] for c in n["cities"]]
        expect(len(keys) == 2 and "murmansk" in keys, f"{n['key']}: cities {keys}")
        for c in n["cities"]:
            same(c["name"], names[c["key"]], f"name of {c['key']}")
        partners += [k for k in keys if k != "murmansk"]
    same(len(partners), 11, "number of murmansk's partners")
    return f"murmansk, {len(partners)} partners as generated"


def check_q2(data, answer):
    nodes = answer["data"]["cities"]["nodes"]
    cities = sorted(data["cities"], key=lambda c: (c["name"], c["key"]))[:50]
    same([n["key"] for n in nodes], [c["key"] for c in cities], "first 50 cities by name")
    names = {c["key"]: c["name"] for c in data["cities"]}
    by_city = defaultdict(list)
    for p in data["partnerships"]:
        for c in set(p["cities"]):
            by_city[c].append(p)
    visits_of = defaultdict(list)
    for v in data["visits"]:
        if v.get("partnership"):
            visits_of[v["partnership"]].append(v)
    topic_names = {t["key"]: t["name"] for t in data["topics"]}
    n_p = n_v = n_t = 0
    for node in nodes:
        same(node["name"], names[node["key"]], f"name of {node['key']}")
        want_p = sorted(by_city[node["key"]], key=lambda p: p["key"])[:100]
        got_p = node["partnerships"]["nodes"]
        same([p["key"] for p in got_p], [p["key"] for p in want_p],
             f"{node['key']}: partnerships")
        for gp, wp in zip(got_p, want_p):
            same(gp["status"], wp["status"], f"{wp['key']}: status")
            same(gp["establishedOn"], wp.get("establishedOn"), f"{wp['key']}: establishedOn")
            same([c["key"] for c in gp["cities"]], wp["cities"], f"{wp['key']}: cities")
            for c in gp["cities"]:
                same(c["name"], names[c["key"]], f"name of {c['key']}")
            want_v = sorted(visits_of[wp["key"]], key=visit_order)[:100]
            got_v = gp["visits"]["nodes"]
            same([v["key"] for v in got_v], [v["key"] for v in want_v],
                 f"{wp['key']}: visits by date")
            for gv, wv in zip(got_v, want_v):
                same(gv["startDate"], wv["startDate"], f"{wv['key']}: startDate")
                same(gv["endDate"], wv.get("endDate"), f"{wv['key']}: endDate")
                same(sorted(t["name"] for t in gv["topics"]["nodes"]),
                     sorted(topic_names[t] for t in wv.get("topics", []))[:100],
                     f"{wv['key']}: topic names")
                n_t += len(gv["topics"]["nodes"])
            n_v += len(got_v)
        n_p += len(got_p)
    return f"50 cities, {n_p} partnerships, {n_v} visits, {n_t} topics, all as generated"


def check_q3(data, answer):
    nodes = answer["data"]["visits"]["nodes"]
    wanted_topics = descendants(data, "rehabilitation")
    names = {c["key"]: c["name"] for c in data["cities"]}
    matching = [v for v in data["visits"]
                if "2000" <= v["startDate"][:4] <= "2009"
                and wanted_topics & set(v.get("topics", []))]
    want = sorted(matching, key=visit_order)[:100]
    expect(len(nodes) <= 100, f"{len(nodes)} visits, more than 100")
    same([n["key"] for n in nodes], [v["key"] for v in want], "visits (keys, in order)")
    for n, v in zip(nodes, want):
        expect("2000" <= n["startDate"][:4] <= "2009", f"{n['key']}: start {n['startDate']}")
        same(n["fromCity"]["name"], names[v["fromCity"]], f"{n['key']}: fromCity")
        same(n["toCity"]["name"], names[v["toCity"]], f"{n['key']}: toCity")
    return (f"{len(nodes)} visits of {len(matching)} matching, 2000-2009, "
            f"topic rehabilitation, in date order, as generated")


TEXT_FIELDS = ("name", "title", "purpose", "summary", "description", "notes")
SEARCH_KINDS = {"City": "cities", "Partnership": "partnerships", "Visit": "visits",
                "Protocol": "protocols", "Event": "events", "Topic": "topics",
                "Organization": "organizations", "Source": "sources"}


def check_q4(data, answer):
    word = "delegation"
    nodes = answer["data"]["search"]["nodes"]
    same(len(nodes), 20, "number of search results")
    index = {kind: {r["key"]: r for r in data[coll]} for kind, coll in SEARCH_KINDS.items()}
    kinds = Counter()
    for n in nodes:
        kinds[n["__typename"]] += 1
        record = index[n["__typename"]].get(n["key"])
        expect(record is not None, f"{n['__typename']} {n['key']} is not in the data")
        text = " ".join(str(record.get(f, "")) for f in TEXT_FIELDS).lower()
        expect(re.search(r"\b" + word, text), f"{n['__typename']} {n['key']} lacks {word!r}")
    return f"20 results, each containing {word!r} ({dict(kinds)})"


def check_q5(data, answer):
    stats = answer["data"]["stats"]
    country = {c["key"]: c["countryCode"] for c in data["cities"]}
    ps = data["partnerships"]
    by_country = Counter()
    for p in ps:
        by_country.update({country[c] for c in p["cities"]})
    by_kind = Counter(p["kind"] for p in ps)
    by_year = Counter(p["establishedOn"][:4] for p in ps if p.get("establishedOn"))
    by_topic = Counter()
    subtree = {t["key"]: descendants(data, t["key"]) for t in data["topics"]}
    for v in data["visits"]:
        ts = set(v.get("topics", []))
        for key, tree in subtree.items():
            if ts & tree:
                by_topic[key] += 1

    def as_dict(counts):
        return {c["key"]: c["count"] for c in counts}

    same(as_dict(stats["partnershipsByCountry"]), dict(by_country), "partnershipsByCountry")
    same(as_dict(stats["partnershipsByKind"]), dict(by_kind), "partnershipsByKind")
    same(as_dict(stats["partnershipsByYear"]), dict(by_year), "partnershipsByYear")
    same({k: v for k, v in as_dict(stats["visitsByTopic"]).items() if v},
         dict(by_topic), "visitsByTopic")
    return (f"{len(by_country)} countries, {len(by_kind)} kinds, {len(by_year)} years, "
            f"{len(by_topic)} topics, counts as generated")


def check_q6(data, answer, request):
    """One request of the mutation mix: both fields succeeded, without user
    errors, and did what was asked (not compared with the generated data,
    which the database has left behind)."""
    wanted = request["variables"]
    visit, step = wanted["visit"]["visit"], wanted["step"]
    recorded = answer["data"]["recordVisit"]
    same(recorded["userErrors"], [], "recordVisit userErrors")
    expect(recorded["visit"] is not None, "recordVisit returned no visit")
    same(recorded["visit"]["key"], visit["key"], "recorded visit key")
    advanced = answer["data"]["advancePartnership"]
    same(advanced["userErrors"], [], "advancePartnership userErrors")
    expect(advanced["partnership"] is not None, "advancePartnership returned no partnership")
    same(advanced["partnership"]["key"], step["partnership"], "advanced partnership")
    same(advanced["partnership"]["status"], step["status"], "status after the step")
    return (f"visit {visit['key']} ({visit['fromCity']} -> {visit['toCity']}, "
            f"{len(visit['topics'])} topics) recorded; {step['partnership']} now "
            f"{step['status']}; no errors, no userErrors")


CHECKS = {"q1": check_q1, "q2": check_q2, "q3": check_q3, "q4": check_q4, "q5": check_q5,
          "q6": check_q6}


def check(query, data_path, answer_path, body_path=None):
    if query == "q6":
        # The mutation's answer is checked against its request, not the data.
        data = None
        with open(body_path, encoding="utf-8") as f:
            request = json.load(f)
    else:
        with open(data_path, encoding="utf-8") as f:
            data = json.load(f)
    try:
        with open(answer_path, encoding="utf-8") as f:
            answer = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL {query}: unreadable answer: {e}")
        return 1
    if answer.get("errors"):
        print(f"FAIL {query}: errors: {json.dumps(answer['errors'])[:400]}")
        return 1
    try:
        args = (data, answer, request) if query == "q6" else (data, answer)
        print(f"ok   {query}: {CHECKS[query](*args)}")
        return 0
    except Wrong as e:
        print(f"FAIL {query}: {e}")
        return 1
    except (KeyError, TypeError, IndexError) as e:
        print(f"FAIL {query}: unexpected shape ({type(e).__name__}: {e})")
        return 1


# --------------------------------------------------------------------------
# The peer's answers (PostGraphile's naming; the SQL limit builds the same
# JSON). Its queries select no partnership keys, and it breaks ties of an
# order by row id where Twinning breaks them by key, so what is compared is
# what both must agree on: the records, their values and their counts.
# --------------------------------------------------------------------------


def twinning_counts(query, answer):
    """What the peer's counts are compared with in Twinning's answer."""
    data = answer["data"]
    if query == "q1":
        nodes = data["city"]["partnerships"]["nodes"]
        return sorted(c["key"] for n in nodes for c in n["cities"] if c["key"] != "murmansk")
    if query == "q2":
        ps = [p for c in data["cities"]["nodes"] for p in c["partnerships"]["nodes"]]
        vs = [v for p in ps for v in p["visits"]["nodes"]]
        return (len(data["cities"]["nodes"]), len(ps), len(vs),
                sum(len(v["topics"]["nodes"]) for v in vs))
    return len(data["visits"]["nodes"])


def peer_q1(data, answer):
    city = answer["data"]["cityByKey"]
    expect(city is not None, "cityByKey(key: murmansk) is null")
    same(city["key"], "murmansk", "city key")
    got = sorted([(n["cityByCityBId"]["key"], n["cityByCityBId"]["name"])
                  for n in city["partnershipsByCityAId"]["nodes"]] +
                 [(n["cityByCityAId"]["key"], n["cityByCityAId"]["name"])
                  for n in city["partnershipsByCityBId"]["nodes"]])
    names = {c["key"]: c["name"] for c in data["cities"]}
    want = sorted((k, names[k]) for p in data["partnerships"] if "murmansk" in p["cities"]
                  for k in p["cities"] if k != "murmansk")
    same(got, want, "murmansk's partners (key, name)")
    return [k for k, _ in got], f"murmansk, {len(got)} partners as generated"


def peer_q2(data, answer):
    nodes = answer["data"]["allCities"]["nodes"]
    cities = sorted(data["cities"], key=lambda c: (c["name"], c["key"]))[:50]
    same(sorted(n["key"] for n in nodes), sorted(c["key"] for c in cities), "first 50 cities by name")
    names = {c["key"]: c["name"] for c in data["cities"]}
    visits_of = defaultdict(list)
    for v in data["visits"]:
        if v.get("partnership"):
            visits_of[v["partnership"]].append(v)
    n_p = n_v = n_t = 0
    for node in nodes:
        key = node["key"]
        same(node["name"], names[key], f"name of {key}")
        got = []
        for side, other in (("partnershipsByCityAId", "cityByCityBId"), ("partnershipsByCityBId", "cityByCityAId")):
            for p in node[side]["nodes"]:
                vs = p["visitsByPartnershipId"]["nodes"]
                topics = sum(len(v["visitTopicsByVisitId"]["nodes"]) for v in vs)
                got.append((p[other]["name"], p["status"], len(vs), topics))
                n_v += len(vs)
                n_t += topics
        want = sorted((names[[k for k in p["cities"] if k != key][0]], p["status"],
                       len(visits_of[p["key"]]), sum(len(v.get("topics", [])) for v in visits_of[p["key"]]))
                      for p in data["partnerships"] if key in p["cities"] and len(set(p["cities"])) == 2)
        same(sorted(got), want, f"{key}: partnerships (partner, status, visits, topics)")
        n_p += len(got)
    return ((len(nodes), n_p, n_v, n_t),
            f"50 cities, {n_p} partnerships, {n_v} visits, {n_t} topics, all as generated")


def peer_q3(data, answer):
    nodes = answer["data"]["allVisits"]["nodes"]
    wanted_topics = descendants(data, "rehabilitation")
    names = {c["key"]: c["name"] for c in data["cities"]}
    matching = {v["key"]: v for v in data["visits"]
                if "2000" <= v["startDate"][:4] <= "2009" and wanted_topics & set(v.get("topics", []))}
    same(len(nodes), min(100, len(matching)), "number of visits")
    starts = [n["startDate"] for n in nodes]
    same(starts, sorted(starts), "start dates in order")
    for n in nodes:
        expect(n["key"] in matching, f"{n['key']}: not a 2000-2009 rehabilitation visit")
        v = matching[n["key"]]
        same(n["cityByFromCityId"]["name"], names[v["fromCity"]], f"{n['key']}: from city")
        same(n["cityByToCityId"]["name"], names[v["toCity"]], f"{n['key']}: to city")
    return len(nodes), f"{len(nodes)} visits of {len(matching)} matching, in date order, as generated"


PEER_CHECKS = {"q1": peer_q1, "q2": peer_q2, "q3": peer_q3}


def check_peer(query, data_path, answer_path, twinning_path=None):
    with open(data_path, encoding="utf-8") as f:
        data = json.load(f)
    try:
        with open(answer_path, encoding="utf-8") as f:
            answer = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL {query}: unreadable answer: {e}")
        return 1
    if answer.get("errors"):
        print(f"FAIL {query}: errors: {json.dumps(answer['errors'])[:400]}")
        return 1
    try:
        counts, message = PEER_CHECKS[query](data, answer)
        if twinning_path and os.path.exists(twinning_path):
            with open(twinning_path, encoding="utf-8") as f:
                same(counts, twinning_counts(query, json.load(f)), "the same as Twinning's answer")
            message += ", the same as Twinning's"
        print(f"ok   {query}: {message}")
        return 0
    except Wrong as e:
        print(f"FAIL {query}: {e}")
        return 1
    except (KeyError, TypeError, IndexError, ValueError) as e:
        print(f"FAIL {query}: unexpected shape ({type(e).__name__}: {e})")
        return 1


def ratios(path):
    """Twinning's req/s over the peer's and the limit's, and p99 against the peer's."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = line.rstrip("\n").split("\t")
                try:
                    rows[(r[0], r[1])] = (float(r[3]), float(r[5]))
                except ValueError:
                    pass
    print("| query | database | × PostGraphile req/s (goal ≥ 2.0) | of the SQL limit (goal ≥ 75 %) | p99 vs PostGraphile's |")
    print("| --- | --- | ---: | ---: | ---: |")
    for q in ("q1", "q2", "q3"):
        peer, limit = rows.get((q, "PostGraphile")), rows.get((q, "SQL limit"))
        for db in ("postgres", "sqlite"):
            own = rows.get((q, db))
            if not own or not (peer or limit):
                continue
            x = f"{own[0] / peer[0]:.2f}×" if peer and peer[0] else "–"
            of = f"{100 * own[0] / limit[0]:.0f} %" if limit and limit[0] else "–"
            p99 = f"{own[1]:.0f} / {peer[1]:.0f} ms" if peer else "–"
            print(f"| {q.upper()} | {db} | {x} | {of} | {p99} |")


def tls(path):
    """Twinning on PostgreSQL over TLS beside plain TCP, same database and sitting."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = line.rstrip("\n").split("\t")
                try:
                    rows[(r[0], r[1])] = (float(r[3]), float(r[5]))
                except ValueError:
                    pass
    print("| query | plain TCP req/s | TLS req/s | TLS / plain (goal ≥ 85 %) | p99 plain / TLS ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for q in sorted({q for q, _ in rows}):
        plain, tls_ = rows.get((q, "postgres")), rows.get((q, "postgres-tls"))
        if not plain or not tls_ or not plain[0]:
            continue
        print(f"| {q.upper()} | {plain[0]:.0f} | {tls_[0]:.0f} | {100 * tls_[0] / plain[0]:.0f} % "
              f"| {plain[1]:.0f} / {tls_[1]:.0f} |")


# --------------------------------------------------------------------------
# Q6: the mutation mix
# --------------------------------------------------------------------------
#
# Each request records a new visit (a key never used before) between the two
# cities of one of the first partnerships of the data (a pair with exactly one
# partnership, so it is inferred), with two of the data's topics, and moves
# another partnership from ACTIVE to SUSPENDED or back. The partnerships it
# moves are read from the server just before each load (a reused database,
# SKIP_IMPORT=1, has them as an earlier run left them); bench/q6.lua gives
# each wrk thread its own share of them and cycles through it, so that no
# partnership is moved by two requests at once.

Q6_VISIT_PAIRS = 200   # the first partnerships: their city pairs get the visits
Q6_TOGGLES = 2048      # ACTIVE/SUSPENDED partnerships moved under load: at ~500 req/s a thread
                       # comes back to one after ~4 s, far beyond any request's time
TOGGLING = ("ACTIVE", "SUSPENDED")
FLIP = {"ACTIVE": "SUSPENDED", "SUSPENDED": "ACTIVE"}
Q6_ON = "2026-05"      # the date of every visit and step


def q6_pool(data_path, out_path):
    with open(data_path, encoding="utf-8") as f:
        data = json.load(f)
    per_pair = Counter(frozenset(p["cities"]) for p in data["partnerships"])
    unique = [p for p in data["partnerships"]
              if len(set(p["cities"])) == 2 and per_pair[frozenset(p["cities"])] == 1]
    visit_pairs = unique[:Q6_VISIT_PAIRS]
    taken = {p["key"] for p in visit_pairs}
    movable = [p["key"] for p in data["partnerships"]
               if p["status"] in TOGGLING and p["key"] not in taken]
    if len(movable) <= Q6_TOGGLES:
        raise SystemExit("too few ACTIVE/SUSPENDED partnerships in the data")
    pool = {
        "visitPairs": [p["cities"] for p in visit_pairs],
        "topics": [t["key"] for t in data["topics"]],
        # moved by the single requests (check, statement count), one at a time
        "probe": movable[0],
        "toggles": movable[1:1 + Q6_TOGGLES],
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(pool, f)


def graphql(url, query, variables=None):
    import urllib.request
    request = urllib.request.Request(
        url, data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Bearer " + os.environ.get("BENCH_AUTH", "")})
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise SystemExit(f"{url}: {json.dumps(answer['errors'])[:400]}")
    return answer["data"]


def statuses(url, keys):
    """The current status of each partnership (by key), 100 at a time."""
    found = {}
    for i in range(0, len(keys), 100):
        data = graphql(url, "query($keys: [String!]) { partnerships(filter: { keys: $keys }, "
                            "first: 100) { nodes { key status } } }", {"keys": keys[i:i + 100]})
        found.update({n["key"]: n["status"] for n in data["partnerships"]["nodes"]})
    return found


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def q6_body(pool_path, query_path, url, tag):
    pool = json.loads(read(pool_path))
    status = statuses(url, [pool["probe"]]).get(pool["probe"])
    if status not in FLIP:
        raise SystemExit(f"partnership {pool['probe']} is {status}, not ACTIVE or SUSPENDED")
    # the tag is unique per request; it picks the cities and topics too
    n = sum(map(ord, tag))
    topics = pool["topics"]
    a, b = pool["visitPairs"][n % len(pool["visitPairs"])]
    first = n % len(topics)
    print(json.dumps({"query": read(query_path), "variables": {
        "visit": {"visit": {"key": f"bench-{tag}", "fromCity": a, "toCity": b,
                            "startDate": Q6_ON,
                            "topics": [topics[first], topics[(first + 1) % len(topics)]]}},
        "step": {"partnership": pool["probe"], "status": FLIP[status], "on": Q6_ON},
    }}))


def lua_string(value):
    """A Lua long string holding VALUE's JSON text."""
    text = json.dumps(value)
    assert "]==]" not in text
    return "[==[" + text + "]==]"


def q6_lua(pool_path, query_path, url, tag, threads):
    pool = json.loads(read(pool_path))
    now = statuses(url, pool["toggles"])
    toggles = [(k, FLIP[now[k]]) for k in pool["toggles"] if now.get(k) in FLIP]
    if len(toggles) < 4 * int(threads):
        raise SystemExit(f"only {len(toggles)} of the partnerships to move are ACTIVE or SUSPENDED")
    out = ["-- generated by bench.py q6-lua for bench/q6.lua", "return {"]
    out.append(f"  tag = [==[{tag}]==],")
    out.append(f"  query = {lua_string(read(query_path))},")
    out.append(f"  on = {lua_string(Q6_ON)},")
    out.append("  pairs = {")
    out += [f"    {{ {lua_string(a)}, {lua_string(b)} }}," for a, b in pool["visitPairs"]]
    out.append("  },")
    out.append("  topics = { " + ", ".join(lua_string(t) for t in pool["topics"]) + " },")
    out.append("  -- partnership, the status its first step moves it to")
    out.append("  toggles = {")
    out += [f"    {{ {lua_string(k)}, [==[{s}]==] }}," for k, s in toggles]
    out.append("  },")
    out.append("}")
    print("\n".join(out))


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

COLUMNS = [
    ("query", "<"), ("database", "<"), ("answer", "<"), ("req/s", ">"), ("p50 ms", ">"),
    ("p99 ms", ">"), ("CPU ms/req", ">"), ("PG CPU ms/req", ">"), ("peak RSS MB", ">"),
    ("peak anon MB", ">"), ("SQL stmts/req", ">"), ("PG tx/req", ">"),
]


def table(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(line.rstrip("\n").split("\t"))
    cells = [[c[0] for c in COLUMNS]] + rows
    widths = [max(len(r[i]) if i < len(r) else 0 for r in cells) for i in range(len(COLUMNS))]
    def fmt(r):
        return "| " + " | ".join(
            (r[i] if i < len(r) else "").ljust(widths[i]) if COLUMNS[i][1] == "<"
            else (r[i] if i < len(r) else "").rjust(widths[i])
            for i in range(len(COLUMNS))) + " |"
    print(fmt(cells[0]))
    print("| " + " | ".join(("-" * (w - 1) + ":") if COLUMNS[i][1] == ">" else "-" * w
                            for i, w in enumerate(widths)) + " |")
    for r in rows:
        print(fmt(r))


def main(argv):
    if len(argv) >= 2 and argv[1] == "body" and len(argv) in (3, 4):
        body(*argv[2:])
        return 0
    if len(argv) >= 2 and argv[1] == "check-peer" and len(argv) in (5, 6):
        return check_peer(*argv[2:])
    if len(argv) >= 2 and argv[1] == "tls" and len(argv) == 3:
        tls(argv[2])
        return 0
    if len(argv) >= 2 and argv[1] == "ratios" and len(argv) == 3:
        ratios(argv[2])
        return 0
    if len(argv) >= 2 and argv[1] == "check" and len(argv) in (5, 6):
        return check(*argv[2:])
    if len(argv) >= 2 and argv[1] == "q6-pool" and len(argv) == 4:
        q6_pool(argv[2], argv[3])
        return 0
    if len(argv) >= 2 and argv[1] == "q6-body" and len(argv) == 6:
        q6_body(*argv[2:])
        return 0
    if len(argv) >= 2 and argv[1] == "q6-lua" and len(argv) == 7:
        q6_lua(*argv[2:])
        return 0
    if len(argv) >= 2 and argv[1] == "table" and len(argv) == 3:
        table(argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
