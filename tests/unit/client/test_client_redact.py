"""Secrets never survive into a message, not even cut in half by a body preview."""

from hypothesis import given
from hypothesis import strategies as st

from mpo_pipeline.client.errors import body_snippet, redact

TOKEN = "mpo-sim.6E-EI8kiylTaXI7kmhQ2v"
SECRET = "SECRET-canary-0123456789abcdef"


def test_whole_secrets_are_replaced():
    text = f"Authorization: Bearer {TOKEN}; client_secret={SECRET}"
    assert redact(text, [TOKEN, SECRET]) == "Authorization: Bearer ***; client_secret=***"


def test_a_secret_cut_by_the_snippet_loses_its_visible_half():
    snippet = body_snippet(("x" * 280 + " " + TOKEN).encode())
    assert snippet.endswith("...") and TOKEN not in snippet
    cleaned = redact(snippet, [TOKEN])
    assert TOKEN[:10] not in cleaned and cleaned.endswith("***...")


def test_a_secret_cut_at_the_start_loses_its_visible_half():
    assert redact(f"'{TOKEN[12:]} and more'", [TOKEN]) == "'*** and more'"


def test_short_or_empty_secrets_do_not_mask_ordinary_text():
    assert redact("server error after 6 attempts", ["", "abc", "error"]) == (
        "server *** after 6 attempts"
    )
    assert redact("mpo-sim", [TOKEN]) == "mpo-sim"  # 7 characters of it: too short to matter


@given(st.integers(min_value=0, max_value=len(TOKEN)), st.text(max_size=40))
def test_no_ten_character_piece_of_a_cut_token_survives(cut, noise):
    text = redact(noise + TOKEN[:cut] + "...", [TOKEN])
    random_part = TOKEN.removeprefix("mpo-sim.")
    leaks = [random_part[i : i + 10] for i in range(len(random_part) - 9)]
    assert not [piece for piece in leaks if piece in text and piece not in noise]
