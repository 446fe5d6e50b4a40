"""The API's header check of identity photos (no image library): the same size as Pillow reads, other formats and
broken JPEGs told apart."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.identity.jpeg_header import BadJpeg, NotJpeg, jpeg_size
from tests.paths import FACES_DIR


@pytest.mark.parametrize("path", sorted(FACES_DIR.glob("*.jpg"))[:60], ids=lambda p: p.name)
def test_the_size_is_the_one_pillow_reads(path):
    data = path.read_bytes()
    assert jpeg_size(data) == Image.open(io.BytesIO(data)).size


def encoded(fmt: str, size=(64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buffer, fmt, **options)
    return buffer.getvalue()


def test_progressive_jpegs_and_padding_after_the_end_marker_are_read():
    assert jpeg_size(encoded("JPEG", (300, 200), progressive=True)) == (300, 200)
    assert jpeg_size(encoded("JPEG", (33, 17)) + b"\0\0\r\n") == (33, 17)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "BMP", "GIF"])
def test_other_formats_are_not_jpeg(fmt):
    with pytest.raises(NotJpeg):
        jpeg_size(encoded(fmt))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8 not really a jpeg \xff\xd9",
        b"\xff\xd8\xff\xd9",
        encoded("JPEG")[:-200],  # truncated: no end-of-image marker
        encoded("JPEG")[:30] + b"\xff\xd9",  # the header stops before the frame
        b"\xff\xd8\xff\xe0\xff\xff" + b"\0" * 10 + b"\xff\xd9",  # a segment longer than the file
    ],
)
def test_broken_jpegs_are_told_apart(data):
    with pytest.raises(BadJpeg):
        jpeg_size(data)
