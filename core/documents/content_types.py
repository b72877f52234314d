"""The content type of an uploaded file, read from its bytes (puremagic's signatures), never
from the client's Content-Type header or the name it chose."""

import codecs
from typing import IO

import puremagic

GENERIC_BINARY = "application/octet-stream"
PLAIN_TEXT = "text/plain"
# Enough of the head to tell text from binary.
TEXT_SAMPLE_BYTES = 8192


def sniff_content_type(stream: IO[bytes], name: str) -> str:
    """The type the bytes of `stream` show (its position is kept); `name` only breaks ties
    between formats that share a signature (a .docx and a .zip). Bytes without a known
    signature are text/plain when they read as UTF-8, application/octet-stream otherwise."""
    position = stream.tell()
    try:
        try:
            matches = puremagic.magic_stream(stream, filename=name)
        except (puremagic.PureError, ValueError):
            matches = []
        for match in matches:
            if match.mime_type:
                return str(match.mime_type)
        stream.seek(0)
        return PLAIN_TEXT if _reads_as_text(stream.read(TEXT_SAMPLE_BYTES)) else GENERIC_BINARY
    finally:
        stream.seek(position)


def _reads_as_text(sample: bytes) -> bool:
    if not sample or b"\x00" in sample:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # Not final: the sample may end inside a multi-byte character.
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True
