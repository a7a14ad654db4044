"""The faster form parser (web/body.py) gives exactly what Litestar's own parser gives."""

from __future__ import annotations

import random
from urllib.parse import urlencode

import pytest
from litestar._parsers import parse_url_encoded_form_data

from survey_service.web.body import parse_form

CASES = [b"a=1&b=2&a=3", b"", b"&&a", b"x=%D0%B1%D0%B3+q&y=a+b&%5Fk=v", b"a==b&c=",
         b"na%ZZme=v%2", b"a=%ff%fe", b"\xd0\xb1=\xd0\xb3", b"k", b"a=1&a=2&a=3&a",
         urlencode({"c": "Бързо и любезно + 100% ok&=", "t": ["1", "2"]}, doseq=True).encode(),
         b"a=%5Cx41&b=\\x41&c=\\%41&d=%e2%82%ac%&e=%C3%A9%zz&f=%E2%82&g=\\u0041"]


@pytest.mark.parametrize("body", CASES)
def test_the_same_form_as_litestar(body: bytes) -> None:
    assert parse_form(body) == parse_url_encoded_form_data(body)


def test_the_same_form_as_litestar_for_random_bodies() -> None:
    rnd = random.Random(12)
    alphabet = b"ab=&%+2F0\xd0\xb1;"
    for _ in range(20_000):
        body = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 16)))
        assert parse_form(body) == parse_url_encoded_form_data(body), body


def test_escaped_values_decode_as_unquote_plus_does() -> None:
    """The values are unquoted through a C codec (``unicode_escape``): backslashes, 'x',
    broken escapes and cut UTF-8 give what ``unquote_plus`` gives."""
    rnd = random.Random(7)
    alphabet = b"%%%+\\xuN0aF9c3e2d0b1=&\xd0"
    for _ in range(20_000):
        body = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 20)))
        assert parse_form(body) == parse_url_encoded_form_data(body), body
