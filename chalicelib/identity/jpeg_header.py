"""A JPEG's format and size from its header, in plain Python: the API's check of an identity photo before it queues
the identity check (the API carries no image library; the checker decodes the pixels and may still find them bad).
"""

from __future__ import annotations

import struct

# Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8 and CC are other segments.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0..7: no length field


class NotJpeg(ValueError):
    """Some other format (PNG, WebP, ...): refused as the wrong kind of photo."""


class BadJpeg(ValueError):
    """Starts like a JPEG but its header cannot be read, or it has no end-of-image marker."""


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a complete JPEG; NotJpeg for other formats, BadJpeg for a broken or truncated one."""
    if not data.startswith(b"\xff\xd8"):
        raise NotJpeg("not a JPEG")
    if not data.rstrip(b"\0\r\n\t ").endswith(b"\xff\xd9"):
        raise BadJpeg("truncated JPEG (no end-of-image marker)")
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise BadJpeg(f"no marker at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2 or position + 2 + length > len(data):
            raise BadJpeg(f"segment at byte {position} overruns the file")
        if marker in _SOF:
            if length < 7:
                raise BadJpeg("short frame header")
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            if width == 0 or height == 0:
                raise BadJpeg("zero-sized frame")
            return width, height
        position += 2 + length
    raise BadJpeg("no frame header")
