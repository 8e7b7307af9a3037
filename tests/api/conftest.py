"""Two members the API suites share: Alice and Bob, registered and logged in."""

from __future__ import annotations

import pytest

from tests.support.clients import bearer


@pytest.fixture
def alice(register, login):
    """Alice's bearer headers (alice@example.com)."""
    register("alice@example.com", "Alice")
    return bearer(login("alice@example.com"))


@pytest.fixture
def bob(register, login):
    """Bob's bearer headers (bob@example.com)."""
    register("bob@example.com", "Bob")
    return bearer(login("bob@example.com"))
