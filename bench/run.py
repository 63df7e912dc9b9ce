"""`make bench`: seed a dataset, start the real server and the bare ceiling under the same
uvicorn settings, drive both with wrk, and report each scenario against the ceiling.

    python -m bench.run --requests 100000 --db postgresql --duration 6
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine

from app.auth import service as auth_service
from app.auth.models import Role, UserCreate
from app.core.config import Settings
from app.core.db import make_engine, open_session
from app.core.migrations import upgrade_to_head
from app.core.pagination import AFTER, encode_cursor
from app.main import create_app
from app.requests.listing import REQUESTS
from app.requests.models import Request as TrackedRequest
from app.requests.models import RequestSort
from app.requests.orders import ORDERS
from app.requests.service import RequestFilters, to_read
from app.stakeholders.models import Stakeholder
from app.stakeholders.portal_links import portal_link
from bench.seed import Seeded, seed, seed_portal
from tests.auth.identity_provider import IdentityProvider
from tests.databases import fresh_postgres_database, postgres_admin_url

RESULTS = Path(__file__).with_name("results")
BENCH_KEY = "bench-signing-key-" + "b" * 32
BENCH_ADMIN = "bench@example.com"


@dataclass
class Scenario:
    name: str
    path: str  # a Lua expression for the path, so ids can vary per call
    method: str = "GET"
    body: str | None = None
    target: str = "app"
    connections: int | None = None  # the run's --connections unless set
    token: str | None = None  # the bench admin's reqtrack token unless set


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio_to_ceiling: float = 0.0
    peak_rss_growth_mib: float | None = None


def scenarios(
    seeded: Seeded,
    portal_path: str = "",
    deep: dict[RequestSort, str] | None = None,
    sso_token: str | None = None,
) -> list[Scenario]:
    """What is measured; the portal's page when its path is given (`seed_portal`), each
    order's deep page when its cursors are (`deep_cursors`), and the authenticated read
    with the identity provider's token when one is given (`identity_provider`)."""
    n = seeded.requests
    deep = deep or {}
    other_orders = [order for order in RequestSort if order is not RequestSort.newest]
    return [
        Scenario("ceiling: bare FastAPI JSON route", '"/ceiling"', target="ceiling"),
        Scenario("GET /requests/{id}", f'"/api/v1/requests/" .. math.random(1, {n})'),
        *(
            [
                Scenario(
                    "GET /requests/{id}, IdP token",
                    f'"/api/v1/requests/" .. math.random(1, {n})',
                    token=sso_token,
                )
            ]
            if sso_token
            else []
        ),
        Scenario("list page 1", '"/api/v1/requests?limit=50"'),
        *(
            [
                Scenario(
                    "list deep page",
                    f'"/api/v1/requests?limit=50&cursor={deep[RequestSort.newest]}"',
                )
            ]
            if deep
            else []
        ),
        *(
            Scenario(f"list page 1, sort={order}", f'"/api/v1/requests?limit=50&sort={order}"')
            for order in other_orders
        ),
        *(
            Scenario(
                f"list deep page, sort={order}",
                f'"/api/v1/requests?limit=50&sort={order}&cursor={deep[order]}"',
            )
            for order in other_orders
            if deep
        ),
        Scenario("filtered list", '"/api/v1/requests?status=triaged&channel=email"'),
        Scenario("q search", f'"/api/v1/requests?q={seeded.search_word}"'),
        # The latency one person sees when searching, with no queue in front of them.
        Scenario(
            "q search, one client", f'"/api/v1/requests?q={seeded.search_word}"', connections=1
        ),
        *triage_scenarios(seeded),
        Scenario("trace, 1k requests", f'"/api/v1/roadmap-items/{seeded.traced_item_id}/trace"'),
        *(
            [
                Scenario("portal page, 500 requests", json.dumps(portal_path)),
                # What the stakeholder waits for, with no queue in front of them.
                Scenario("portal page, one client", json.dumps(portal_path), connections=1),
            ]
            if portal_path
            else []
        ),
        Scenario("reports/summary", '"/api/v1/reports/summary"'),
        Scenario(
            "POST /requests",
            '"/api/v1/requests"',
            method="POST",
            body=json.dumps({"title": "Bench request", "stakeholder_id": 1}),
        ),
        Scenario(
            "POST /requests/{id}/decisions",
            f'"/api/v1/requests/" .. math.random(1, {n}) .. "/decisions"',
            method="POST",
            body=json.dumps({"outcome": "declined", "why": "Benchmark"}),
        ),
    ]


def triage_scenarios(seeded: Seeded) -> list[Scenario]:
    """Triage: searching everything, the suggestions, and filing a batch at once. One
    client each too: the wait one person at the inbox sees."""
    n, needs = seeded.requests, seeded.needs
    search = f'"/api/v1/search?q={seeded.search_word}"'
    suggested_needs = f'"/api/v1/requests/" .. math.random(1, {n}) .. "/suggested-needs"'
    suggested_requests = f'"/api/v1/needs/" .. math.random(1, {needs}) .. "/suggested-requests"'
    batch = {"items": [{"request_id": i, "need_id": 1 + i % needs} for i in range(1, 501)]}
    return [
        Scenario("triage: search everything", search),
        Scenario("triage: search everything, one client", search, connections=1),
        Scenario("triage: suggested needs", suggested_needs),
        Scenario("triage: suggested needs, one client", suggested_needs, connections=1),
        Scenario("triage: suggested requests, one client", suggested_requests, connections=1),
        Scenario(
            "triage: 500 requests filed at once, one client",
            '"/api/v1/requests/triage"',
            method="POST",
            body=json.dumps(batch),
            connections=1,
        ),
    ]


def deep_cursors(engine: Engine, seeded: Seeded) -> dict[RequestSort, str]:
    """For each order, the cursor after the request a tenth of the way into the ids: the
    page it leads to is deep in every order (and mid-way through an urgency's requests)."""
    with open_session(engine, write=False) as session:
        tracked = session.get(TrackedRequest, max(2, seeded.requests // 10))
        assert tracked is not None
        answered = to_read(session=session, request=tracked)
    cursors = {}
    for sort in RequestSort:
        order = ORDERS[sort]
        params = RequestFilters(sort=None if sort is RequestSort.newest else sort)
        if order.value is None:
            cursors[sort] = encode_cursor(answered.id, list_name=REQUESTS, params=params)
        else:
            position = [order.in_cursor(answered), answered.id]
            cursors[sort] = encode_cursor(position, list_name=REQUESTS, params=params, kind=AFTER)
    return cursors


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    with fresh_postgres_database(postgres_admin_url()) as url:
        yield url


@dataclass
class Served:
    url: str
    pid: int


@contextmanager
def server(app: str, env: dict[str, str], *, workers: int = 1) -> Iterator[Served]:
    """uvicorn as `reqtrack serve` runs it: uvloop, httptools with the head bounded
    (app/ops/http.py), no server header, no access log, `workers` processes."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--no-access-log"]
    command += ["--loop", "uvloop", "--http", "app.ops.http:BoundedHttpToolsProtocol"]
    command += ["--no-server-header", "--log-level", "warning"]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env)  # noqa: S603  (our own command line)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/docs", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.1)
        yield Served(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)


def settled(url: str, *, limit_seconds: float = 300) -> None:
    """Wait until the server has worked off what the last scenario queued: /readyz takes
    its turn at the database like any request, so it answers fast only once they are done."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        httpx.get(f"{url}/readyz", timeout=limit_seconds)
        if time.perf_counter() - started < 0.5:
            return
        time.sleep(0.5)


def wrk(url: str, scenario: Scenario, token: str, *, duration: int, connections: int) -> Result:
    settled(url)
    token = scenario.token or token
    connections = scenario.connections or connections
    headers = f'{{["Authorization"] = "Bearer {token}", ["Content-Type"] = "application/json"}}'
    body = json.dumps(scenario.body) if scenario.body else "nil"
    script = (
        "math.randomseed(os.time())\n"
        f"request = function() return wrk.format({json.dumps(scenario.method)}, "
        f"{scenario.path}, {headers}, {body}) end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    # A long timeout: a slow scenario is measured, not dropped (and leaves no backlog
    # behind for the next one).
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "120s"]
    command += ["--latency", "-s", lua.name]
    run = subprocess.run([*command, url], capture_output=True, text=True, check=True)  # noqa: S603
    output = run.stdout
    os.unlink(lua.name)
    return Result(
        name=scenario.name,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        errors=int(m[1]) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
    )


def warm_up(url: str, scenario: Scenario, token: str) -> None:
    """Calls answered before measuring: what the last scenario left queued is done (a
    loaded search leaves half a second of work behind), and a cache the scenario reads is
    filled (a report at 1M rows takes seconds the first time, then is kept)."""
    token = scenario.token or token
    if ".." in scenario.path:  # ids vary per call: a second of them, one at a time
        wrk(url, scenario, token, duration=1, connections=1)
        return
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = json.loads(scenario.path)  # a Lua string literal is a JSON one too
    httpx.request(scenario.method, url + path, headers=headers, content=scenario.body, timeout=600)


IMPORT_ROWS = 50_000
IMPORT_SCENARIO = f"import {IMPORT_ROWS // 1000}k rows (rows/s)"


def import_csv(rows: int, stakeholders: int) -> bytes:
    lines = ["title,description,stakeholder_id,channel,customer,revenue_at_stake,urgency"]
    lines += [
        f"Imported {i},Row {i} of the bench import,{i % stakeholders + 1},email,"
        f"Customer {i % 300},{i % 5000}.50,medium"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def import_rows(url: str, token: str, seeded: Seeded, server_pid: int | None) -> Result:
    """POST a 50 000-row CSV once; rows/s, and the server's peak RSS growth (with one
    worker: with several, the one that takes the upload is not known)."""
    body = import_csv(IMPORT_ROWS, seeded.stakeholders)
    rss_before = _rss_kib(server_pid, "VmRSS") if server_pid else 0
    started = time.perf_counter()
    response = httpx.post(
        f"{url}/api/v1/imports/requests",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=600,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 201:
        print(f"import refused: {response.status_code} {response.text[:500]}", file=sys.stderr)
    peak_growth_mib = (_rss_kib(server_pid, "VmHWM") - rss_before) / 1024 if server_pid else None
    return Result(
        name=IMPORT_SCENARIO,
        requests_per_second=IMPORT_ROWS / seconds,
        p50_ms=seconds * 1000,
        p99_ms=seconds * 1000,
        errors=0 if response.status_code == 201 else 1,
        peak_rss_growth_mib=None
        if peak_growth_mib is None
        else round(max(peak_growth_mib, 0.0), 1),
    )


def _rss_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak so far) of a process, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M)[1])  # type: ignore[index]


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


@dataclass
class ScaleRun:
    seeded: Seeded
    seed_seconds: float
    results: list[Result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--requests", default="1000", help="dataset size; several (1000,1000000) compare them"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn processes, for the app and the ceiling"
    )
    parser.add_argument("--only", default="", help="run the scenarios whose name has this")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    runs = [run_scale(args, int(size)) for size in args.requests.split(",")]
    for run in runs:
        report(args, run)
    if len(runs) > 1:
        compare(runs[0], runs[-1])


def bench_settings(database_url: str, directory: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="production",
        secret_key=BENCH_KEY,
        data_dir=directory,
        webhook_dispatcher_enabled=False,
    )


def admin_token(engine: Engine, settings: Settings) -> str:
    """A token for a new admin, as the server under `settings` issues them."""
    with open_session(engine, write=True) as session:
        admin = auth_service.create_user(
            session=session,
            data=UserCreate(
                email=BENCH_ADMIN,
                display_name="Bench",
                role=Role.admin,
                password=secrets.token_urlsafe(16),
            ),
        )
        session.commit()
    token: str = create_app(settings).state.token_issuer.issue(f"user:{admin.id}")
    return token


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that has `reqtrack serve` run under these settings."""
    return (
        os.environ
        | {
            "DATABASE_URL": settings.database_url,
            "REQTRACK_ENVIRONMENT": "production",
            "REQTRACK_SECRET_KEY": BENCH_KEY,
            "REQTRACK_DATA_DIR": str(settings.data_dir),
            "REQTRACK_MIGRATE_ON_START": "false",
            "REQTRACK_WEBHOOK_DISPATCHER_ENABLED": "false",
            "REQTRACK_ACCESS_LOG": "false",  # as uvicorn's own: production, no access log
        }
        | extra
    )


@contextmanager
def identity_provider() -> Iterator[tuple[dict[str, str], str]]:
    """The test suite's identity provider on 127.0.0.1, the server's environment that
    trusts it, and its access token for the bench admin (an admin by the role map)."""
    with IdentityProvider(audience="reqtrack-bench") as idp:
        env = {
            "REQTRACK_OIDC_ISSUER": idp.issuer,
            "REQTRACK_OIDC_AUDIENCE": "reqtrack-bench",
            "REQTRACK_OIDC_ROLE_MAP": json.dumps({"bench-admins": "admin"}),
        }
        yield env, idp.access_token(BENCH_ADMIN, groups=["bench-admins"], lifetime=6 * 3600)


def run_scale(args: argparse.Namespace, requests: int) -> ScaleRun:
    with (
        tempfile.TemporaryDirectory() as directory,
        database(args.db, Path(directory)) as url,
        identity_provider() as (sso_env, sso_token),
    ):
        settings = bench_settings(url, Path(directory))
        engine = make_engine(settings)
        upgrade_to_head(engine)
        started = time.perf_counter()
        seeded = seed(engine, requests=requests)
        seed_seconds = time.perf_counter() - started
        token = admin_token(engine, settings)
        portal_stakeholder = Stakeholder(id=seed_portal(engine, seeded), portal_generation=0)
        portal_path = urlsplit(portal_link(settings, portal_stakeholder).url).path
        deep = deep_cursors(engine, seeded)
        engine.dispose()
        env = server_env(settings, **sso_env)
        load = {"duration": args.duration, "connections": args.connections}
        ceiling, *chosen = scenarios(seeded, portal_path, deep, sso_token)
        chosen = [s for s in chosen if args.only in s.name]
        served = ("app.main:app", "bench.ceiling:app")
        apps = [server(name, env, workers=args.workers) for name in served]
        with apps[0] as app, apps[1] as top:
            # First connections, caches and lazy imports are not what is measured.
            for url, warming in ((top.url, ceiling), (app.url, scenarios(seeded)[1])):
                wrk(url, warming, token, duration=1, connections=args.connections)
            # The ceiling before and after: the machine's own drift shows as their spread.
            results = [wrk(top.url, ceiling, token, **load)]
            for scenario in chosen:
                warm_up(app.url, scenario, token)
                results.append(wrk(app.url, scenario, token, **load))
            if args.only in IMPORT_SCENARIO:
                results.append(
                    import_rows(app.url, token, seeded, app.pid if args.workers == 1 else None)
                )
            after = wrk(top.url, ceiling, token, **load)
    before = results[0]
    before.name, after.name = "ceiling (before)", "ceiling (after)"
    results.insert(1, after)
    top_speed = (before.requests_per_second + after.requests_per_second) / 2
    for result in results:
        result.ratio_to_ceiling = round(result.requests_per_second / top_speed, 3)
    return ScaleRun(seeded, seed_seconds, results)


def compare(small: ScaleRun, large: ScaleRun) -> None:
    """How latency changes with the dataset: each scenario's p50 and p99, large / small."""
    print(f"\n{large.seeded.requests} vs {small.seeded.requests} requests (latency ratio)")
    print(f"{'scenario':38} {'p50 x':>8} {'p99 x':>8}")
    small_by_name = {r.name: r for r in small.results}
    for r in large.results:
        base = small_by_name.get(r.name)
        if base is None or r.name.startswith("ceiling") or not base.p50_ms or not base.p99_ms:
            continue
        print(f"{r.name:38} {r.p50_ms / base.p50_ms:8.2f} {r.p99_ms / base.p99_ms:8.2f}")


def report(args: argparse.Namespace, run: ScaleRun) -> None:
    seeded, seed_seconds, results = run.seeded, run.seed_seconds, run.results
    print(
        f"\n{args.db}, {seeded.requests} requests (seeded in {seed_seconds:.1f} s), "
        f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.workers} uvicorn worker(s)\n"
    )
    print(
        f"{'scenario':38} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x ceiling':>9} "
        f"{'errors':>7} {'peak RSS':>9}"
    )
    for r in results:
        rss = "" if r.peak_rss_growth_mib is None else f"+{r.peak_rss_growth_mib:.0f} MiB"
        print(
            f"{r.name:38} {r.requests_per_second:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
            f"{r.ratio_to_ceiling:9.3f} {r.errors:7d} {rss:>9}"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-{args.db}-{seeded.requests}.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "database": args.db,
                "dataset": asdict(seeded),
                "seed_seconds": round(seed_seconds, 2),
                "load": {
                    "tool": "wrk",
                    "threads": 1,
                    "connections": args.connections,
                    "duration_s": args.duration,
                },
                "uvicorn_workers": args.workers,
                "scenarios": [asdict(r) for r in results],
            },
            indent=1,
        )
        + "\n"
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
