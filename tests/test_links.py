"""Signed links: scoped, expiring, rotating, and carrying no personal data."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from heardback.runtime.links import Link, LinkRefused, LinkSigner

OLD = "o" * 40
NEW = "n" * 40
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def link(**overrides: object) -> Link:
    fields: dict[str, object] = {
        "purpose": "feedback",
        "workflow_id": "candidacy-r-7-c-42",
        "expires_at": NOW + timedelta(days=3),
        "interview_id": "i-1",
    }
    fields.update(overrides)
    return Link(**fields)  # type: ignore[arg-type]


def test_a_link_verifies_for_its_purpose_only_and_until_it_expires() -> None:
    signer = LinkSigner([NEW])
    token = signer.sign(link())
    got = signer.verify(token, "feedback", now=NOW)
    assert (got.workflow_id, got.interview_id) == ("candidacy-r-7-c-42", "i-1")
    with pytest.raises(LinkRefused, match="not valid"):
        signer.verify(token, "decision", now=NOW)  # a feedback link never decides
    with pytest.raises(LinkRefused, match="expired"):
        signer.verify(token, "feedback", now=NOW + timedelta(days=3))


def test_a_changed_token_is_refused_with_a_plain_reason() -> None:
    signer = LinkSigner([NEW])
    token = signer.sign(link())
    head, _, sig = token.rpartition(".")
    forged = signer.sign(link(workflow_id="candidacy-r-7-c-43"))
    for bad in (head + "." + sig[::-1], forged.rpartition(".")[0] + "." + sig, "", "x.y"):
        with pytest.raises(LinkRefused, match="not valid"):
            signer.verify(bad, "feedback", now=NOW)
    with pytest.raises(LinkRefused, match="not valid"):
        LinkSigner(["z" * 40]).verify(token, "feedback", now=NOW)  # not our key


def test_keys_rotate_without_breaking_links_already_sent() -> None:
    sent_before = LinkSigner([OLD]).sign(link())
    rotated = LinkSigner([NEW, OLD])  # the new key signs, the old one still verifies
    assert rotated.verify(sent_before, "feedback", now=NOW).interview_id == "i-1"
    sent_after = rotated.sign(link())
    assert LinkSigner([NEW]).verify(sent_after, "feedback", now=NOW).workflow_id
    with pytest.raises(LinkRefused):
        LinkSigner([NEW]).verify(sent_before, "feedback", now=NOW)  # the old key retired


def test_the_url_carries_ids_only() -> None:
    token = LinkSigner([NEW]).sign(link(purpose="status", interview_id=None))
    payload = token.split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(decoded) == {"w", "x"}
    assert "@" not in token


def test_short_or_missing_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        LinkSigner(["short"])
    with pytest.raises(ValueError, match="at least one"):
        LinkSigner([])
