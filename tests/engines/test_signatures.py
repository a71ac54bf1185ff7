"""Error signatures: normalisation rules and the stable hash of the normalised text."""

from __future__ import annotations

import re

import pytest

from analytics.engines.signatures import error_signature, failure_signature, normalise_error

RESET_BY_PEER = "connection reset by peer while calling <url> (job <uuid>) after <n> ms"


def test_variants_of_one_error_share_signature() -> None:
    first = (
        "Connection reset by peer while calling https://api.example.com/v1/chat "
        "(job 3f2a9c4e-1b2d-4e5f-8a9b-0c1d2e3f4a5b) after 1200 ms"
    )
    second = (
        "  CONNECTION RESET BY PEER while calling http://10.0.0.7:8080/v1/chat   "
        "(job 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e) after 30 ms "
    )

    assert error_signature(first) == (RESET_BY_PEER, "ad86266e3052404e")
    assert error_signature(second) == (RESET_BY_PEER, "ad86266e3052404e")


def test_hex_and_timestamp_replaced() -> None:
    normalised, _ = error_signature("Object 0x7f3a2b10 freed twice at 2024-03-10T09:15:02.123Z")

    assert normalised == "object <hex> freed twice at <ts>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model gpt-4o returned 503", "model gpt-4o returned <n>"),
        ("job 12 failed", "job <n> failed"),
        ("job 123456789012345678901234567890 failed", "job <n> failed"),
        ("took 1.5 s", "took <n> s"),
        ("read /var/log/app.log failed", "read <path> failed"),
        ("read ./data/input.csv failed", "read <path> failed"),
        ("read ~/cache/x failed", "read <path> failed"),
        (r"open C:\Temp\out.txt failed", "open <path> failed"),
        ("at 12:30:01,250 the lock expired", "at <ts> the lock expired"),
        ("since 2024-03-10 09:15 UTC", "since <ts> utc"),
        ("since 2024-03-10T09:15:02+05:30", "since <ts>"),
        ("commit deadbeef12 is bad", "commit <hex> is bad"),
        ("word deadbeefcafe stays", "word deadbeefcafe stays"),
        ("token abc_1234567890ab stays", "token abc_1234567890ab stays"),
        ("tabs\tand\n\nnewlines", "tabs and newlines"),
    ],
)
def test_normalisation_rules(text: str, expected: str) -> None:
    assert normalise_error(text) == expected


def test_nfkc_and_casefold_applied() -> None:
    # Full-width digits become ASCII digits; the "ﬁ" ligature becomes "fi"; "ß" folds to "ss".
    assert normalise_error("ﬁle GROẞE １２３") == "file grosse <n>"


def test_only_first_4096_characters_count() -> None:
    prefix = "a" * 4096

    assert error_signature(prefix + "x") == error_signature(prefix + "y")
    assert error_signature("a" * 4095 + "x") != error_signature("a" * 4095 + "y")


def test_signature_is_16_hex_digits() -> None:
    _, signature = error_signature("anything at all")

    assert re.fullmatch(r"[0-9a-f]{16}", signature)


def test_missing_error_groups_per_worker() -> None:
    normalised, signature = failure_signature(None, "wk-a")

    assert normalised == "<no error text> worker=wk-a"
    assert failure_signature("   \n", "wk-a") == (normalised, signature)
    assert failure_signature(None, "wk-b")[1] != signature


def test_failure_with_text_ignores_worker() -> None:
    assert failure_signature("boom 42", "wk-a") == failure_signature("boom 7", "wk-b")
    assert failure_signature("boom 42", "wk-a") == error_signature("boom 42")
