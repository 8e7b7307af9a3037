"""A chunked body is read to its length before Flask, one byte past the limit at most."""

from __future__ import annotations

import io

from webapp.edge.request_body import read_at_most, with_known_length


class Trickle(io.RawIOBase):
    """A de-chunked input that hands over a few bytes per read, as one chunk at a time."""

    def __init__(self, body: bytes, piece: int = 1000) -> None:
        self.body, self.piece = body, piece

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        taken, self.body = self.body[: min(size, self.piece)], self.body[min(size, self.piece) :]
        return taken


def chunked_environ(body: bytes) -> dict:
    return {
        "wsgi.input": Trickle(body),
        "wsgi.input_terminated": True,
        "HTTP_TRANSFER_ENCODING": "chunked",
    }


def test_short_reads_are_read_on_to_the_size_asked():
    assert read_at_most(Trickle(b"x" * 5000), 4500) == b"x" * 4500
    assert read_at_most(Trickle(b"x" * 5000), 9000) == b"x" * 5000


def test_a_body_under_the_limit_gets_its_length():
    environ = chunked_environ(b"y" * 3000)
    with_known_length(environ, 4096)
    assert environ["CONTENT_LENGTH"] == "3000"
    assert environ["wsgi.input"].read() == b"y" * 3000
    assert "HTTP_TRANSFER_ENCODING" not in environ  # Werkzeug would ignore the length


def test_a_body_over_the_limit_is_read_one_byte_past_it_and_no_further():
    environ = chunked_environ(b"z" * 10_000)
    with_known_length(environ, 4096)
    assert environ["CONTENT_LENGTH"] == "4097"  # what Werkzeug refuses as too large
    assert len(environ["wsgi.input"].read()) == 4097
