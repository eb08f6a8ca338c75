#!/usr/bin/env python3
"""The plans of the statements the queries run, on both databases, as Markdown.

    bench/explain.py PG_DB SQLITE_FILE [PG_LOG] > plans.md

Reads the statements one database's server ran from the PostgreSQL log (as
bench/run's statement count leaves them: `log_min_duration_statement = 0`,
the probe requests of the queries; run it as `PG_DB=name bench/run`, which keeps
the database), with their parameters written in, one of each shape (IN
lists of any length are one shape), and prints for each
`EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL and `EXPLAIN QUERY PLAN` on the
SQLite file imported from the same document (the statement as sea-query
writes it for SQLite: see for_sqlite). Long id lists in the plans are
shortened. Needs psql and sqlite3; PG_URL as bench/run.
"""
import os
import re
import subprocess
import sys

PREFIX = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ UTC \[\d+\] (\S*) ")


def entries(path):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = PREFIX.match(lines[i])
        if not m:
            i += 1
            continue
        text, j = lines[i][m.end():], i + 1
        while j < len(lines) and not PREFIX.match(lines[j]):
            text += "\n" + lines[j]
            j += 1
        out.append((m.group(1), text))
        i = j
    return out


def statements(db, log):
    found, shapes = [], set()
    logged = entries(log)
    for k, (who, text) in enumerate(logged):
        m = re.match(r"LOG:  duration: [\d.]+ ms  (?:execute [^:]*|statement): (.*)", text, re.S)
        if who != "postgres@" + db or not m:
            continue
        sql = m.group(1).strip()
        if not sql.upper().startswith(("SELECT", "WITH")) or "seaql_migrations" in sql or "search_term" in sql:
            continue
        params = {}
        if k + 1 < len(logged) and logged[k + 1][1].startswith("DETAIL:  parameters:"):
            params = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", logged[k + 1][1]))
        sql = re.sub(r"\$(\d+)\b", lambda p: params.get(p.group(1), p.group(0)), sql).replace("\n", " ")
        shape = re.sub(r"IN \([^()]*\)", "IN (…)", sql)
        if shape not in shapes:
            shapes.add(shape)
            found.append(sql)
    return found


def short(text):
    text = re.sub(r"'\{[^}]{60,}\}'", lambda m: "'{" + f"…{m.group(0).count(',') + 1} values" + "}'", text)
    return re.sub(r"IN \(('[^']*'(?:, )?){6,}\)", lambda m: f"IN (…{m.group(0).count(',') + 1} values)", text)


def for_sqlite(sql):
    """The statement as sea-query writes it for SQLite: a UNION's arms are
    not parenthesised there (SQLite does not accept it)."""
    while "UNION ALL (" in sql:
        start = sql.index("UNION ALL (") + len("UNION ALL ")
        depth = 0
        for i in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            if depth == 0:
                sql = sql[:start] + sql[start + 1:i] + sql[i + 1:]
                break
    return sql


def run(cmd, sql):
    r = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    return (r.stdout + r.stderr).rstrip()


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    db, sqlite = argv[1], argv[2]
    log = argv[3] if len(argv) == 4 else "/var/log/postgresql/postgresql-15-main.log"
    url = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432") + "/" + db
    for n, sql in enumerate(statements(db, log), 1):
        text = short(sql)
        print(f"### Statement {n}\n\n```sql\n{text[:600]}{' …' if len(text) > 600 else ''}\n```\n")
        pg = run(["psql", "-X", "-qAt", url], f"EXPLAIN (ANALYZE, BUFFERS) {sql};")
        print("PostgreSQL:\n\n```text\n" + short(pg) + "\n```\n")
        lite = run(["sqlite3", "-readonly", sqlite], f"EXPLAIN QUERY PLAN {for_sqlite(sql)};")
        print("SQLite:\n\n```text\n" + short(lite) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
