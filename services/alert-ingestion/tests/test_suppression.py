"""Silences and maintenance windows on the real database, incident-management played by the HTTP
stand-in: a held-back alert is stored and shown as silenced, never sent to incident-management,
and counted; once the silence or window is over, the same alert opens an incident."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from nightwatch_ingestion import matchers
from nightwatch_ingestion.suppression.cache import ActiveSilence, SilenceIndex
from nightwatch_ingestion.suppression.recurrence import Schedule, active_at

from .conftest import FakeIncidentManagement


def iso(moment: datetime) -> str:
    return moment.isoformat()


def sent_services(incidents: FakeIncidentManagement) -> list[str]:
    return [item["service"] for item in incidents.items]


async def silence(client: Any, *matchers: str, ends_at: datetime, **fields: Any) -> Any:
    body = {"matchers": list(matchers), "ends_at": iso(ends_at), "comment": "deploy", **fields}
    response = await client.post("/api/v1/silences", json=body, headers={"X-Actor": "alice"})
    assert response.status_code == 201, response.text
    return response.json()


async def test_silenced_alert_is_stored_and_shown_but_opens_no_incident(
    client: Any, clock: Any, make_alert: Any, service_name: str, incidents: FakeIncidentManagement
) -> None:
    made = await silence(
        client,
        f'service="{service_name}"',
        'severity=~"high|critical"',
        ends_at=clock.now() + timedelta(hours=1),
    )
    assert made["status"] == "active" and made["created_by"] == "alice"

    response = await client.post("/api/v1/alerts", json=make_alert())
    assert response.status_code == 201
    answer = response.json()
    assert answer["result"] == "suppressed" and answer["incident_id"] is None
    assert answer["link_status"] == "suppressed"
    assert answer["suppressed_by"] == {"kind": "silence", "id": made["id"]}
    low = (await client.post("/api/v1/alerts", json=make_alert(severity="low"))).json()
    assert low["result"] == "new_incident"  # severity=~"high|critical" does not hold it
    assert sent_services(incidents) == [service_name]  # the low one only

    stored = (await client.get(f"/api/v1/alerts/{answer['alert_id']}")).json()
    assert stored["suppressed_by"] == {"kind": "silence", "id": made["id"]}
    assert stored["result"] == "suppressed" and stored["status"] == "firing"
    metrics = (await client.get("/metrics")).text
    assert 'alerts_suppressed_total{reason="silence"}' in metrics
    assert 'suppressions_active{kind="silence"}' in metrics


async def test_when_the_silence_ends_the_alert_still_arriving_opens_an_incident(
    client: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    made = await silence(
        client, f'service="{service_name}"', ends_at=clock.now() + timedelta(minutes=30)
    )
    assert (await client.post("/api/v1/alerts", json=make_alert())).json()["result"] == "suppressed"
    clock.advance(timedelta(minutes=30))  # it ends: no reload needed, the clock decides
    after = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert after["result"] == "new_incident" and after["incident_id"] is not None
    got = (await client.get(f"/api/v1/silences/{made['id']}")).json()
    assert got["status"] == "expired"


async def test_expire_early_and_list_pending_active_expired(
    client: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    now = clock.now()
    pending = await silence(
        client,
        f'service="{service_name}"',
        'env="later"',
        starts_at=iso(now + timedelta(hours=2)),
        ends_at=now + timedelta(hours=3),
    )
    active = await silence(client, f'service="{service_name}"', ends_at=now + timedelta(hours=3))
    assert pending["status"] == "pending"
    assert (await client.post("/api/v1/alerts", json=make_alert())).json()["result"] == "suppressed"

    expired = await client.post(
        f"/api/v1/silences/{active['id']}/expire", headers={"X-Actor": "bob"}
    )
    assert expired.status_code == 200
    assert expired.json()["status"] == "expired" and expired.json()["expired_by"] == "bob"
    assert (await client.post("/api/v1/alerts", json=make_alert())).json()["result"] == (
        "new_incident"
    )
    listed = {
        status: {
            s["id"] for s in (await client.get(f"/api/v1/silences?status={status}")).json()["items"]
        }
        for status in ("pending", "active", "expired")
    }
    assert pending["id"] in listed["pending"] and active["id"] in listed["expired"]
    assert active["id"] not in listed["active"]
    missing = await client.post(f"/api/v1/silences/{uuid.uuid4()}/expire")
    assert missing.status_code == 404


async def test_bad_silences_are_422_naming_the_problem(client: Any, clock: Any) -> None:
    later = iso(clock.now() + timedelta(hours=1))
    cases = [
        ({"matchers": ['service=~"(oops"'], "ends_at": later}, "'service=~\"(oops\"'"),
        ({"matchers": ["nonsense"], "ends_at": later}, "not a matcher"),
        ({"matchers": ['env=~".*"'], "ends_at": later}, "must not match the empty string"),
        ({"matchers": [], "ends_at": later}, "matchers"),
        (
            {"matchers": ['service="x"'], "ends_at": iso(clock.now() - timedelta(minutes=1))},
            "must be in the future",
        ),
        ({"matchers": ['service="x"'], "ends_at": later, "starts_at": later}, "after starts_at"),
        ({"matchers": ['service="x"'], "ends_at": "9999-12-31T00:00:00Z"}, "at most 366 days"),
    ]
    for body, says in cases:
        response = await client.post("/api/v1/silences", json={"comment": "c", **body})
        assert response.status_code == 422, (body, response.text)
        message = response.json()["error"]["message"]
        assert says in message, (says, message)


async def test_a_resolve_resolves_the_silenced_alerts_of_its_fingerprint(
    client: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    await silence(client, f'service="{service_name}"', ends_at=clock.now() + timedelta(hours=1))
    held = (await client.post("/api/v1/alerts", json=make_alert(dedup_key="disk"))).json()
    resolve = make_alert(dedup_key="disk", status="resolved")
    assert (await client.post("/api/v1/alerts", json=resolve)).status_code == 201
    stored = (await client.get(f"/api/v1/alerts/{held['alert_id']}")).json()
    assert stored["status"] == "resolved"


async def test_maintenance_window_by_team_and_by_service(
    client: Any, clock: Any, make_alert: Any, service_name: str, incidents: FakeIncidentManagement
) -> None:
    team = f"team-{uuid.uuid4().hex[:8]}"
    now = clock.now()
    body = {
        "name": "patching",
        "teams": [team],
        "starts_at": iso(now - timedelta(minutes=5)),
        "ends_at": iso(now + timedelta(hours=1)),
    }
    made = await client.post("/api/v1/maintenance-windows", json=body)
    assert made.status_code == 201, made.text
    window = made.json()
    assert window["status"] == "active" and window["next_end"] is not None

    held = (await client.post("/api/v1/alerts", json=make_alert(labels={"team": team}))).json()
    assert held["suppressed_by"] == {"kind": "maintenance", "id": window["id"]}
    other = (await client.post("/api/v1/alerts", json=make_alert(message="other team"))).json()
    assert other["result"] == "new_incident"
    assert [i.get("team") for i in incidents.items] == ["unrouted"]
    metrics = (await client.get("/metrics")).text
    assert 'alerts_suppressed_total{reason="maintenance"}' in metrics

    by_service = {**body, "teams": [], "services": [service_name], "name": "svc"}
    replaced = await client.put(f"/api/v1/maintenance-windows/{window['id']}", json=by_service)
    assert replaced.status_code == 200 and replaced.json()["services"] == [service_name]
    assert (await client.post("/api/v1/alerts", json=make_alert(message="3"))).json()[
        "result"
    ] == "suppressed"
    assert (await client.delete(f"/api/v1/maintenance-windows/{window['id']}")).status_code == 204
    assert (await client.post("/api/v1/alerts", json=make_alert(message="4"))).json()[
        "result"
    ] == "correlated"


async def test_bad_windows_are_422(client: Any, clock: Any, service_name: str) -> None:
    start, end = iso(clock.now()), iso(clock.now() + timedelta(hours=1))
    base = {"name": "w", "services": [service_name], "starts_at": start, "ends_at": end}
    cases = [
        ({**base, "services": []}, "at least one service or team"),
        ({**base, "ends_at": start}, "ends_at must be after starts_at"),
        ({**base, "time_zone": "Mars/Olympus"}, "unknown time zone"),
        (
            {**base, "recurrence": "weekly", "ends_at": iso(clock.now() + timedelta(days=8))},
            "less than a week",
        ),
        ({**base, "recurrence": "daily"}, "recurrence"),
        (
            {**base, "starts_at": "9999-12-30T00:00:00Z", "ends_at": "9999-12-31T00:00:00Z"},
            "between the years 2000 and 2999",
        ),
    ]
    for body, says in cases:
        response = await client.post("/api/v1/maintenance-windows", json=body)
        assert response.status_code == 422, (body, response.text)
        message = response.json()["error"]["message"]
        assert says in message, (says, message)


def test_weekly_window_keeps_its_wall_clock_time_across_dst() -> None:
    # Saturdays 01:30-03:30 in Berlin, first on 2026-03-28 (CET, UTC+1); DST starts 03-29.
    schedule = Schedule(
        starts_at=datetime(2026, 3, 28, 0, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 28, 2, 30, tzinfo=UTC),
        recurrence="weekly",
        time_zone="Europe/Berlin",
        repeat_until=None,
    )
    assert active_at(schedule, datetime(2026, 3, 28, 1, 0, tzinfo=UTC))
    # A week later it is CEST (UTC+2): 01:30-03:30 local is 23:30-01:30 UTC.
    assert active_at(schedule, datetime(2026, 4, 3, 23, 45, tzinfo=UTC))
    assert not active_at(schedule, datetime(2026, 4, 4, 1, 45, tzinfo=UTC))
    assert not active_at(schedule, datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    ended = Schedule(**{**schedule.__dict__, "repeat_until": datetime(2026, 4, 1, tzinfo=UTC)})
    assert not active_at(ended, datetime(2026, 4, 3, 23, 45, tzinfo=UTC))


async def test_recurring_window_suppresses_across_dst_through_the_api(
    client: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    body = {
        "name": "weekly db patching",
        "services": [service_name],
        "starts_at": "2026-03-28T01:30:00+01:00",
        "ends_at": "2026-03-28T03:30:00+01:00",
        "recurrence": "weekly",
        "time_zone": "Europe/Berlin",
    }
    window = (await client.post("/api/v1/maintenance-windows", json=body)).json()
    assert window["status"] == "pending"
    clock.set(datetime(2026, 4, 3, 23, 45, tzinfo=UTC))  # 01:45 CEST
    got = (await client.get(f"/api/v1/maintenance-windows/{window['id']}")).json()
    assert got["status"] == "active"
    assert got["next_start"].replace("Z", "+00:00") == "2026-04-03T23:30:00+00:00"
    assert (await client.post("/api/v1/alerts", json=make_alert())).json()["result"] == "suppressed"
    clock.set(datetime(2026, 4, 4, 1, 45, tzinfo=UTC))  # 03:45 CEST: over
    assert (await client.post("/api/v1/alerts", json=make_alert())).json()["result"] == (
        "new_incident"
    )


async def test_another_replica_hears_of_a_new_silence_through_notify(
    ingestion: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    async with ingestion() as (_, first), ingestion() as (second_app, second):
        made = await silence(
            first, f'service="{service_name}"', ends_at=clock.now() + timedelta(hours=1)
        )
        cache = second_app.state.suppression
        # Bound: the NOTIFY reaches the other replica's listener well within 5 s.
        for _ in range(100):
            if any(str(s.id) == made["id"] for s in cache.silences):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the second replica did not hear of the silence within 5 s")
        answer = (await second.post("/api/v1/alerts", json=make_alert())).json()
        assert answer["result"] == "suppressed"


async def test_a_held_alert_still_firing_opens_its_incident_when_the_silence_ends(
    app: Any,
    client: Any,
    clock: Any,
    make_alert: Any,
    service_name: str,
    incidents: FakeIncidentManagement,
) -> None:
    """Without the alert arriving again: the release worker sends the held one on."""
    made = await silence(
        client, f'service="{service_name}"', ends_at=clock.now() + timedelta(minutes=30)
    )
    for message in ("disk 91%", "disk 92%"):  # one identity (dedup key): one held row
        held = await client.post("/api/v1/alerts", json=make_alert(message=message, dedup_key="d"))
        assert held.json()["result"] == "suppressed"
    quiet = (await client.post("/api/v1/alerts", json=make_alert(dedup_key="q"))).json()
    resolve = make_alert(dedup_key="q", status="resolved")
    assert (await client.post("/api/v1/alerts", json=resolve)).status_code == 201
    worker = app.state.release_worker

    await worker.run_due(app)  # still silenced: nothing goes
    assert sent_services(incidents).count(service_name) == 1  # the resolve only

    clock.advance(timedelta(minutes=30))
    assert await worker.run_due(app) >= 1
    released = [
        item
        for item in incidents.items
        if item["service"] == service_name and item.get("action", "trigger") == "trigger"
    ]
    assert [item["message"] for item in released] == ["disk 92%"]  # the latest, once
    assert released[0]["fingerprint"] == held.json()["fingerprint"] != quiet["fingerprint"]
    await worker.run_due(app)
    assert len([i for i in incidents.items if i["service"] == service_name]) == 2
    page = (await client.get("/api/v1/alerts", params={"service": service_name})).json()
    newest = page["items"][0]
    assert newest["result"] == "new_incident" and newest["suppressed_by"] is None
    assert made["id"] in {
        (a["suppressed_by"] or {}).get("id") for a in page["items"]
    }  # the held ones still say what held them


async def test_expiring_early_releases_at_once_unless_another_silence_still_holds(
    app: Any,
    client: Any,
    clock: Any,
    make_alert: Any,
    service_name: str,
    incidents: FakeIncidentManagement,
) -> None:
    first = await silence(
        client, f'service="{service_name}"', ends_at=clock.now() + timedelta(hours=1)
    )
    await silence(
        client,
        f'service="{service_name}"',
        'severity="low"',
        ends_at=clock.now() + timedelta(hours=2),
    )
    await client.post("/api/v1/alerts", json=make_alert(severity="high"))
    await client.post("/api/v1/alerts", json=make_alert(severity="low"))
    await client.post(f"/api/v1/silences/{first['id']}/expire")
    await app.state.release_worker.run_due(app)
    assert [i["severity"] for i in incidents.items if i["service"] == service_name] == ["high"]


def test_the_silence_index_finds_every_silence_that_can_match() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)

    def made(*texts: str) -> ActiveSilence:
        return ActiveSilence(uuid.uuid4(), tuple(matchers.parse(t) for t in texts), start, end)

    by_service = made('service="api"', 'env!="dev"')
    empty_env = made('env=""', 'service=~"a.*"')  # indexed under env "": alerts without env
    regex_only = made('service=~"ap.*"')
    index = SilenceIndex((by_service, empty_env, regex_only))
    assert set(map(id, index.candidates({"service": "api"}))) == set(
        map(id, (by_service, empty_env, regex_only))
    )
    assert set(map(id, index.candidates({"service": "db", "env": "prod"}))) == {id(regex_only)}


async def test_a_slow_reload_that_read_old_rows_never_overwrites_a_newer_one(
    app: Any, client: Any, clock: Any, service_name: str
) -> None:
    """The listener's reload and a request's reload overlap: the later-started one wins."""
    cache = app.state.suppression
    pool = app.state.db_pool
    slow_started, slow_may_finish = asyncio.Event(), asyncio.Event()

    class SlowPool:  # the first fetch of the slow reload waits until the fast one is done
        def acquire(self) -> Any:
            real = pool.acquire()

            class Holder:
                async def __aenter__(self) -> Any:
                    conn = await real.__aenter__()

                    class Slow:
                        async def fetch(self, *args: Any) -> Any:
                            rows = await conn.fetch(*args)
                            slow_started.set()
                            await slow_may_finish.wait()
                            return rows

                    return Slow()

                async def __aexit__(self, *exc: Any) -> None:
                    await real.__aexit__(*exc)

            return Holder()

    made = await silence(
        client, f'service="{service_name}"', ends_at=clock.now() + timedelta(hours=1)
    )
    slow = asyncio.create_task(cache.reload(SlowPool(), now=clock.now()))
    await slow_started.wait()  # it has read the silence as active
    await client.post(f"/api/v1/silences/{made['id']}/expire")  # a newer reload: expired
    slow_may_finish.set()
    await slow
    assert made["id"] not in {str(s.id) for s in cache.silences}


async def test_alertmanager_alerts_through_an_integration_are_silenced_by_their_labels(
    client: Any, clock: Any, incidents: FakeIncidentManagement
) -> None:
    from .test_integrations import AM, am_alert, am_payload, bearer, create

    integration = await create(client)
    service = integration["default_service"]
    made = await silence(
        client,
        f'service="{service}"',
        'alertname="HighErrorRate"',
        'env!~"dev|test"',
        ends_at=clock.now() + timedelta(hours=1),
    )
    payload = am_payload(am_alert("a1" * 8, env="prod"), am_alert("b2" * 8, env="dev"))
    answer = await client.post(AM, json=payload, headers=bearer(integration["key"]))
    assert answer.status_code == 200, answer.text
    page = (await client.get("/api/v1/alerts", params={"service": service})).json()["items"]
    by_env = {a["labels"]["env"]: a for a in page}
    assert by_env["prod"]["suppressed_by"] == {"kind": "silence", "id": made["id"]}
    assert by_env["dev"]["suppressed_by"] is None and by_env["dev"]["incident_id"] is not None
    assert [i["labels"]["env"] for i in incidents.items if i["service"] == service] == ["dev"]


async def test_concurrent_held_back_alerts_share_their_statements(
    client: Any, clock: Any, make_alert: Any, service_name: str, monkeypatch: Any
) -> None:
    """A noisy service in maintenance: single POSTs share a statement, as placed alerts do."""
    from nightwatch_ingestion.alerts import store

    real, statements = store.insert_suppressed, []

    async def counted(conn: Any, **kwargs: Any) -> None:
        statements.append(len(kwargs["alerts"]))
        await real(conn, **kwargs)

    monkeypatch.setattr(store, "insert_suppressed", counted)
    await silence(client, f'service="{service_name}"', ends_at=clock.now() + timedelta(hours=1))
    answers = await asyncio.gather(
        *(client.post("/api/v1/alerts", json=make_alert(message=f"m{n}")) for n in range(20))
    )
    assert {a.json()["result"] for a in answers} == {"suppressed"}
    assert sum(statements) == 20 and len(statements) < 20, statements
    page = (await client.get("/api/v1/alerts", params={"service": service_name})).json()
    assert len(page["items"]) == 20
