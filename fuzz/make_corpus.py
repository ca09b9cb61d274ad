#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses from hand-assembled messages.

Run from anywhere: python3 fuzz/make_corpus.py. The generated files are committed; rerun this
after changing the seeds. Message layouts follow
https://www.postgresql.org/docs/15/protocol-message-formats.html
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent


def msg(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("!i", len(body) + 4) + body


def cstr(s: str) -> bytes:
    return s.encode() + b"\0"


def i16(v: int) -> bytes:
    return struct.pack("!h", v)


def i32(v: int) -> bytes:
    return struct.pack("!i", v)


def u32(v: int) -> bytes:
    return struct.pack("!I", v)


def column(name: str, table: int, attnum: int, oid: int, size: int, mod: int, fmt: int) -> bytes:
    return cstr(name) + u32(table) + i16(attnum) + u32(oid) + i16(size) + i32(mod) + i16(fmt)


def data_row(*values) -> bytes:
    out = i16(len(values))
    for v in values:
        out += i32(-1) if v is None else i32(len(v)) + v
    return msg(b"D", out)


READY_IDLE = msg(b"Z", b"I")
AUTH_OK = msg(b"R", i32(0))

BACKEND = {
    "startup": AUTH_OK
    + msg(b"S", cstr("server_version") + cstr("15.4"))
    + msg(b"S", cstr("client_encoding") + cstr("UTF8"))
    + msg(b"K", i32(12345) + u32(0xDEADBEEF))
    + READY_IDLE,
    "select": msg(
        b"T",
        i16(2)
        + column("id", 16384, 1, 23, 4, -1, 0)
        + column("name", 16384, 2, 25, -1, -1, 1),
    )
    + data_row(b"7", b"Anna")
    + data_row(b"42", None)
    + msg(b"C", cstr("SELECT 2"))
    + READY_IDLE,
    "error": msg(
        b"E",
        b"".join(
            cstr(code + value)
            for code, value in [
                ("S", "ERREUR"), ("V", "ERROR"), ("C", "23505"), ("M", "duplicate key"),
                ("D", "Key (id)=(1) already exists."), ("H", "hint"), ("P", "15"), ("p", "3"),
                ("q", "SELECT 1"), ("W", "where"), ("s", "public"), ("t", "t"), ("c", "id"),
                ("d", "int4"), ("n", "t_pkey"), ("F", "nbtinsert.c"), ("L", "664"),
                ("R", "_bt_check_unique"),
            ]
        )
        + b"\0",
    )
    + msg(b"N", cstr("SNOTICE") + cstr("C00000") + cstr("Mnotice") + b"\0")
    + msg(b"Z", b"E"),
    "sasl": msg(b"R", i32(10) + cstr("SCRAM-SHA-256-PLUS") + cstr("SCRAM-SHA-256") + b"\0")
    + msg(b"R", i32(11) + b"r=abcdef,s=c2FsdA==,i=4096")
    + msg(b"R", i32(12) + b"v=dmVyaWZpZXI=")
    + AUTH_OK,
    "md5": msg(b"R", i32(5) + b"\x01\x02\x03\x04") + msg(b"R", i32(3)) + AUTH_OK,
    "notify": msg(b"A", i32(4711) + cstr("jobs") + cstr("run 42"))
    + msg(b"A", i32(1) + cstr("c") + cstr("")),
    "copy": msg(b"G", b"\0" + i16(3) + i16(0) * 3)
    + msg(b"H", b"\1" + i16(2) + i16(1) * 2)
    + msg(b"d", b"1\tfoo\n")
    + msg(b"c", b"")
    + msg(b"C", cstr("COPY 1"))
    + msg(b"W", b"\0" + i16(0))
    + READY_IDLE,
    "negotiate": msg(b"v", i32(0) + i32(2) + cstr("_pq_.foo") + cstr("_pq_.bar")),
    "extended": msg(b"1", b"")
    + msg(b"t", i16(2) + u32(23) + u32(25))
    + msg(b"T", i16(1) + column("n", 0, 0, 20, 8, -1, 1))
    + msg(b"2", b"")
    + data_row(struct.pack("!q", 1))
    + msg(b"s", b"")
    + msg(b"C", cstr("INSERT 0 5"))
    + msg(b"n", b"")
    + msg(b"I", b"")
    + msg(b"3", b"")
    + msg(b"Z", b"T"),
    "truncated": msg(b"D", i16(1) + i32(10) + b"abc"),
}

CONNINFO = {
    "url": "postgresql://alice:s3cret@db.example.com:5433/appdb?sslmode=require&application_name=x",
    "url_escapes": "postgres://al%40ice:p%3Aw@%2Ftmp/my%20db?options=-c%20a%3Db",
    "url_ipv6": "postgresql://[::1]:5433/db?connect_timeout=10",
    "url_socket": "postgresql:///mydb?host=/tmp&port=5434&statement_cache_size=0",
    "keywords": "host=localhost port=5432 user=bob password='a b\\'c' dbname=shop sslmode=disable",
    "keywords_more": "hostaddr=10.0.0.1 channel_binding=prefer sslrootcert=/ca.pem search_path=app",
}


def write(directory: pathlib.Path, files: dict, suffix: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (directory / (name + suffix)).write_bytes(data)


def main() -> None:
    write(HERE / "corpus" / "pg_backend", BACKEND, ".bin")
    write(HERE / "corpus" / "pg_conninfo", CONNINFO, ".txt")


if __name__ == "__main__":
    main()
