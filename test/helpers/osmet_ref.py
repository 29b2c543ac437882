#!/usr/bin/env python3
"""Independent reference codec for the osmet format, written from the Rust
layout in OSMET.md (bincode 1.3, varint integers), sharing no code with the
TypeScript implementation. Used by the tests only.

  osmet_ref.py encode SPEC.json IMAGE OUT   write an osmet file for IMAGE
  osmet_ref.py decode OSMET REPO OUT        rebuild the image; header and table as JSON on stdout

SPEC.json: {"app_version", "sector_size", "description", "architecture",
"partitions": [{"start", "end", "mappings": [{"logical", "physical", "length",
"object": hex}]}], "fast": bool}
"""
import hashlib
import json
import lzma
import os
import struct
import sys

MAGIC = b"OSMET\0\0\0"


def varint(v):
    if v < 251:
        return bytes([v])
    if v < 1 << 16:
        return b"\xfb" + struct.pack("<H", v)
    if v < 1 << 32:
        return b"\xfc" + struct.pack("<I", v)
    return b"\xfd" + struct.pack("<Q", v)


def string(s):
    b = s.encode("utf-8")
    return varint(len(b)) + b


class Reader:
    def __init__(self, f):
        self.f = f

    def raw(self, n):
        b = self.f.read(n)
        if len(b) != n:
            raise EOFError("failed to fill whole buffer")
        return b

    def varint(self):
        tag = self.raw(1)[0]
        if tag < 251:
            return tag
        if tag == 0xFB:
            return struct.unpack("<H", self.raw(2))[0]
        if tag == 0xFC:
            return struct.unpack("<I", self.raw(4))[0]
        if tag == 0xFD:
            return struct.unpack("<Q", self.raw(8))[0]
        raise ValueError("invalid varint tag %d" % tag)

    def string(self):
        return self.raw(self.varint()).decode("utf-8")


def encode(spec_path, image_path, out_path):
    spec = json.load(open(spec_path))
    mapped = []
    for p in spec["partitions"]:
        for m in p["mappings"]:
            mapped.append((p["start"] + m["physical"], m["length"]))
    mapped.sort()
    image = open(image_path, "rb").read()
    packed = bytearray()
    pos = 0
    for off, length in mapped:
        packed += image[pos:off]
        pos = off + length
    packed += image[pos:]
    out = bytearray(MAGIC)
    out += varint(1)
    out += string(spec["app_version"])
    out += varint(spec["sector_size"])
    out += string(spec["description"])
    out += string(spec["architecture"])
    out += varint(len(spec["partitions"]))
    for p in spec["partitions"]:
        out += varint(p["start"]) + varint(p["end"]) + varint(len(p["mappings"]))
        for m in p["mappings"]:
            out += varint(m["logical"]) + varint(m["physical"]) + varint(m["length"])
            out += bytes.fromhex(m["object"])
    out += hashlib.sha256(image).digest()
    out += varint(len(image))
    out += lzma.compress(bytes(packed), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                         preset=0 if spec.get("fast") else 9)
    open(out_path, "wb").write(out)


def decode(osmet_path, repo, out_path):
    f = open(osmet_path, "rb")
    r = Reader(f)
    if r.raw(8) != MAGIC:
        raise ValueError("not an OSMET file!")
    version = r.varint()
    if version != 1:
        raise ValueError("incompatible OSMET file version %d" % version)
    header = {"version": version, "app_version": r.string(), "sector_size": r.varint(),
              "description": r.string(), "architecture": r.string()}
    partitions = []
    for _ in range(r.varint()):
        start, end = r.varint(), r.varint()
        mappings = []
        for _ in range(r.varint()):
            logical, physical, length = r.varint(), r.varint(), r.varint()
            mappings.append({"logical": logical, "physical": physical, "length": length,
                             "object": r.raw(32).hex()})
        partitions.append({"start": start, "end": end, "mappings": mappings})
    checksum = r.raw(32).hex()
    size = r.varint()
    dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    packed = dec.decompress(f.read())
    if not dec.eof:
        raise ValueError("truncated xz stream")
    out = bytearray()
    cursor = 0

    def take(n):
        nonlocal cursor
        if n < 0 or cursor + n > len(packed):
            raise ValueError("packed image too short")
        out.extend(packed[cursor:cursor + n])
        cursor += n

    for p in partitions:
        take(p["start"] - len(out))
        for m in p["mappings"]:
            take(p["start"] + m["physical"] - len(out))
            h = m["object"]
            with open(os.path.join(repo, "objects", h[:2], h[2:] + ".file"), "rb") as obj:
                obj.seek(m["logical"])
                data = obj.read(m["length"])
            out.extend(data + b"\0" * (m["length"] - len(data)))
        take(p["end"] - len(out))
    out.extend(packed[cursor:])
    if len(out) != size or hashlib.sha256(out).hexdigest() != checksum:
        raise ValueError("image does not match the osmet checksum")
    open(out_path, "wb").write(out)
    json.dump({"header": header, "partitions": partitions, "checksum": checksum, "size": size}, sys.stdout)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "encode":
        encode(*sys.argv[2:5])
    elif cmd == "decode":
        decode(*sys.argv[2:5])
    else:
        sys.exit("usage: osmet_ref.py encode SPEC IMAGE OUT | decode OSMET REPO OUT")
