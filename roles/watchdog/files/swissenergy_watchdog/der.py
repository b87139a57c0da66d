"""The end of a certificate's validity, read from its DER bytes (the stdlib has no parser
for a certificate it did not verify)."""

from __future__ import annotations

from datetime import UTC, datetime

_UTC_TIME, _GENERALIZED_TIME, _VERSION = 0x17, 0x18, 0xA0


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the element at pos."""
    tag, length = data[pos], data[pos + 1]
    start = pos + 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[start : start + n], "big")
        start += n
    if start + length > len(data):
        raise ValueError("truncated DER")
    return tag, start, start + length


def not_after(cert: bytes) -> float:
    """Certificate -> tbsCertificate -> [version], serial, signature, issuer, validity."""
    _, tbs, _ = _tlv(cert, 0)
    _, pos, _ = _tlv(cert, tbs)
    tag, _, end = _tlv(cert, pos)
    if tag == _VERSION:
        pos = end
    for _field in ("serial", "signature", "issuer"):
        pos = _tlv(cert, pos)[2]
    _, validity, _ = _tlv(cert, pos)
    before_end = _tlv(cert, validity)[2]
    tag, start, end = _tlv(cert, before_end)
    text = cert[start:end].decode("ascii")
    fmt = {_UTC_TIME: "%y%m%d%H%M%SZ", _GENERALIZED_TIME: "%Y%m%d%H%M%SZ"}.get(tag)
    if fmt is None:
        raise ValueError(f"unexpected time tag {tag:#x}")
    return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
