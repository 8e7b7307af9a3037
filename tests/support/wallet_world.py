"""Two members and an admin, seen through the API: what the wallet page tests build on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from tests.support.clients import bearer


@dataclass
class WalletWorld:
    """Two members and an admin (their token pairs), and the members' Main account ids."""

    api: FlaskClient
    admin: dict[str, Any]
    member: dict[str, Any]
    other: dict[str, Any]
    main: str
    other_main: str

    def accounts(self, tokens: dict[str, Any]) -> dict[str, dict[str, Any]]:
        response = self.api.get("/api/v1/accounts", headers=bearer(tokens))
        assert response.status_code == 200, response.get_json()
        return {account["id"]: account for account in response.get_json()["data"]}

    def balances(self) -> dict[str, int]:
        """Every member account's balance, by id."""
        both = {**self.accounts(self.member), **self.accounts(self.other)}
        return {account_id: account["balance"] for account_id, account in both.items()}

    def deposit(self, account_id: str, amount: int, memo: str | None = None) -> None:
        response = self.api.post(
            f"/api/v1/accounts/{account_id}/deposits",
            json={"amount": amount, "memo": memo},
            headers=bearer(self.admin),
        )
        assert response.status_code == 201, response.get_json()

    def open_account(self, tokens: dict[str, Any], name: str, currency: str) -> str:
        response = self.api.post(
            "/api/v1/accounts", json={"name": name, "currency": currency}, headers=bearer(tokens)
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["data"]["id"]
