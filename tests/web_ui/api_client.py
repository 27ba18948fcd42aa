"""The platform's public API, as the browser tests use it: through the gateway, like a machine."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from tests.stack_runner import ADMIN


@dataclass
class GatewayApi:
    """An admin session plus an ingest key on the test stack's gateway."""

    client: httpx.Client
    admin: dict[str, str]
    ingest: dict[str, str]

    @classmethod
    def connect(cls, gateway_url: str) -> GatewayApi:
        client = httpx.Client(base_url=gateway_url, timeout=15)
        login = client.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        key = client.post(
            "/api/v1/api-keys",
            json={"name": f"browser-tests-{uuid.uuid4().hex[:6]}", "permissions": ["ingest"]},
            headers=admin,
        )
        assert key.status_code == 201, key.text
        return cls(client=client, admin=admin, ingest={"X-API-Key": key.json()["key"]})

    def post_alert(self, *, service: str, severity: str, message: str) -> dict:
        response = self.client.post(
            "/api/v1/alerts",
            json={"service": service, "severity": severity, "message": message},
            headers=self.ingest,
        )
        assert response.status_code in (201, 202), response.text
        return response.json()

    def create_account(self, role: str, *, must_change_password: bool = False) -> tuple[str, str]:
        username, password = f"{role}-{uuid.uuid4().hex[:6]}", f"pw-{uuid.uuid4().hex}"
        created = self.client.post(
            "/api/v1/accounts",
            json={
                "username": username,
                "password": password,
                "role": role,
                "must_change_password": must_change_password,
            },
            headers=self.admin,
        )
        assert created.status_code == 201, created.text
        return username, password

    def seed_oncall(self) -> str:
        """A team with two people on a daily rotation (what the on-call page shows)."""
        suffix = uuid.uuid4().hex[:6]
        people = []
        for name in ("Alice Ops", "Bob Oncall"):
            user = self.client.post(
                "/api/v1/users",
                json={
                    "name": f"{name} {suffix}",
                    "email": f"{name.split()[0].lower()}-{suffix}@example.com",
                    "timezone": "Europe/Berlin",
                },
                headers=self.admin,
            )
            assert user.status_code == 201, user.text
            people.append(user.json()["id"])
        team = f"payments-{suffix}"
        made = self.client.post(
            "/api/v1/teams",
            json={
                "name": team,
                "description": "Payments SRE",
                "members": [{"user_id": p, "role": "member"} for p in people],
            },
            headers=self.admin,
        )
        assert made.status_code == 201, made.text
        start = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        schedule = self.client.post(
            "/api/v1/schedules",
            json={
                "name": f"Payments primary {suffix}",
                "team": team,
                "timezone": "Europe/Berlin",
                "layers": [
                    {
                        "name": "Daily",
                        "participants": people,
                        "rotation_type": "daily",
                        "shift_length": 1,
                        "start_date": start,
                        "handoff_time": "09:00",
                    }
                ],
            },
            headers=self.admin,
        )
        assert schedule.status_code == 201, schedule.text
        return team
