#!/usr/bin/env python3
"""Records seeds for the fuzz harnesses from real sessions with PostgreSQL 15 and MariaDB 10.11.

    tests/servers exec -- python3 fuzz/record_corpus.py BUILD_DIR/examples/tern-cli

tern-cli talks to the servers through a loopback proxy that keeps what the server sent; the
streams become seeds (files named recorded_*) for the connection harnesses (the whole stream),
the stream harnesses (pg_backend, mysql_packets) and the value harnesses (pg_types: every
column value with its type OID and format; mysql_rows: column definitions and rows). The
generated files are committed; fuzz/make_corpus.py writes the hand-built seeds.
Message layouts: https://www.postgresql.org/docs/15/protocol-message-formats.html and
https://mariadb.com/kb/en/clientserver-protocol/
"""
import os
import pathlib
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
sys.path.insert(0, str(HERE))
import make_corpus  # noqa: E402  (the OID table of pg_types, the FieldType table of mysql_rows)


class Proxy:
    """Forwards one loopback port to a server and keeps the bytes the server sent, per
    connection."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.streams = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.target)
            received = bytearray()
            self.streams.append(received)
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(server, client, received), daemon=True
            ).start()

    @staticmethod
    def _pump(src, dst, keep):
        try:
            while data := src.recv(65536):
                if keep is not None:
                    keep += data
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def session(self, cli: str, args) -> bytes:
        """Runs tern-cli with `args` through the proxy; returns what the server sent."""
        before = len(self.streams)
        result = subprocess.run([cli, *args], capture_output=True, timeout=60)
        # 1: a server error, 2: a refused login; both are recorded too.
        if result.returncode not in (0, 1, 2):
            raise RuntimeError(f"tern-cli {args}: {result.stderr.decode(errors='replace')}")
        time.sleep(0.2)  # let the pump threads drain
        return b"".join(bytes(s) for s in self.streams[before:])


def write(harness: str, name: str, data: bytes) -> None:
    directory = CORPUS / harness
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"recorded_{name}.bin").write_bytes(data)


# ---- PostgreSQL ----

PG_TYPES_SQL = r"""SELECT true, 32767::int2, '-2147483648'::int4, 9223372036854775807::int8,
  4294967295::oid, 1.5::float4, 'NaN'::float8, -1e-300::float8, 12345.678::numeric,
  '-0.0000420'::numeric, 'NaN'::numeric, 'Infinity'::numeric, 1e300::numeric, 'héllo'::text,
  'x'::"char", 'ab'::char(5), 'v'::varchar, 'n'::name, '\x00ff'::bytea,
  '{"a": [1, 2.5, "x"]}'::json, '{"a": [1, 2.5, "x"]}'::jsonb,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '2024-02-29'::date, '5874897-12-31'::date,
  'infinity'::date, '0044-03-15 BC'::date, '24:00:00'::time, '12:34:56.789'::time,
  '2024-01-02 03:04:05.123456'::timestamp, '200000-01-01 12:00'::timestamp,
  '-infinity'::timestamp, '4713-01-01 BC'::timestamp, '2024-01-02 03:04:05+05:30'::timestamptz,
  '1 year 2 mons 3 days 04:05:06.5'::interval, '-1 year -2 mons +3 days -04:05:06.000001'::interval,
  ARRAY[true, NULL], ARRAY[1, NULL, 3]::int2[], '[0:1]={1,2}'::int4[], '{}'::int8[],
  ARRAY['a b', NULL, '', '"q\', 'NULL'], ARRAY['x']::varchar[], ARRAY['y']::char(2)[],
  ARRAY['n']::name[], ARRAY['\x01'::bytea, NULL], ARRAY[1.5, NULL]::float4[],
  ARRAY['-Infinity', 2.5]::float8[], ARRAY[1.25, NULL, 'NaN']::numeric[],
  ARRAY['{}'::json], ARRAY['[1, {"b": null}]'::jsonb], ARRAY['2024-01-02'::date, 'infinity'],
  ARRAY['23:59:59.999999'::time], ARRAY['2024-01-02 03:04:05'::timestamp],
  ARRAY['2024-01-02 03:04:05+00'::timestamptz], ARRAY['1 day'::interval],
  ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid], ARRAY[23, 25]::oid[],
  ARRAY['c']::"char"[], NULL::int4, point(1, 2), '12:00+02'::timetz, B'101'::bit(3),
  '10.0.0.1/8'::inet, '[1,5)'::int4range, ARRAY['12:00+02'::timetz]"""

# The result types tern asks for in binary (query.cpp's binary_decodable): the others are text.
PG_BINARY_OIDS = set(make_corpus.PG_TYPE_OIDS[:22] + make_corpus.PG_TYPE_OIDS[23:45])


def pg_messages(stream: bytes):
    at = 0
    while at + 5 <= len(stream):
        tag = stream[at:at + 1]
        (length,) = struct.unpack("!i", stream[at + 1:at + 5])
        yield tag, stream[at + 5:at + 1 + length]
        at += 1 + length


def pg_values(stream: bytes, binary: bool):
    """(oid, format, value) of every non-NULL DataRow value, typed by the last RowDescription."""
    oids = []
    for tag, body in pg_messages(stream):
        if tag == b"T":
            (count,) = struct.unpack("!h", body[:2])
            at, oids = 2, []
            for _ in range(count):
                at = body.index(b"\0", at) + 1
                oids.append(struct.unpack("!I", body[at + 6:at + 10])[0])
                at += 18
        elif tag == b"D":
            at = 2
            for oid in oids:
                (length,) = struct.unpack("!i", body[at:at + 4])
                at += 4
                if length >= 0:
                    value = body[at:at + length]
                    at += length
                    fmt = 1 if binary and oid in PG_BINARY_OIDS else 0
                    yield oid, fmt, value


def record_pg(cli: str) -> None:
    proxy = Proxy(os.environ["TERN_PG_HOST"], int(os.environ["TERN_PG_PORT"]))
    db = os.environ["TERN_PG_DB"]

    def url(user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{proxy.port}/{db}?sslmode=disable"

    # (harness options byte: bit 0-1 password, ops byte: bit 0 simple_query, bit 1 execute)
    text = proxy.session(cli, [url("tern_trust"), PG_TYPES_SQL])
    write("pg_connection", "trust_simple_types", bytes([0, 0x01]) + text)
    binary = proxy.session(
        cli, ["--param", "7", url("tern_md5:md5_pw"), PG_TYPES_SQL + ", $1::int4"]
    )
    write("pg_connection", "md5_execute_types", bytes([1, 0x02]) + binary)
    cleartext = proxy.session(cli, [url("tern_password:password_pw"), "SELECT 1; SELECT 2"])
    write("pg_connection", "password_simple", bytes([1, 0x01]) + cleartext)
    error = proxy.session(cli, [url("tern_trust"), "SELECT 1/0"])
    write("pg_connection", "trust_error", bytes([0, 0x01]) + error)
    notices = proxy.session(
        cli, [url("tern_trust"), "DO $$BEGIN RAISE NOTICE 'hi'; END$$; SET TimeZone = 'UTC'; SHOW TimeZone"]
    )
    write("pg_connection", "trust_notice_show", bytes([0, 0x01]) + notices)
    for name, stream in (("types_text", text), ("types_binary", binary), ("error", error)):
        write("pg_backend", name, stream)

    seen = set()
    for binary_format, stream in ((False, text), (True, binary)):
        for oid, fmt, value in pg_values(stream, binary_format):
            if oid not in make_corpus.PG_TYPE_OIDS:
                continue
            seed = make_corpus.typed(oid, fmt, value)
            if seed not in seen:
                seen.add(seed)
                write("pg_types", f"{oid}_{'bin' if fmt else 'text'}_{len(seen)}", seed)


# ---- MariaDB ----

MY_TABLE = """CREATE OR REPLACE TABLE fz (ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT,
  mi MEDIUMINT, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE,
  dc DECIMAL(20,6), y YEAR, dt DATE, tm TIME(6), dtm DATETIME(6), ts TIMESTAMP(3) NULL,
  b BIT(10), c CHAR(5), vc VARCHAR(20), vb VARBINARY(10), tx TEXT, bl BLOB, e ENUM('a','b'),
  st SET('x','y'), j JSON, g GEOMETRY, n INT)"""
MY_ROWS = """INSERT INTO fz VALUES
  (-128, 255, -32768, -8388608, -2147483648, 4294967295, -9223372036854775808,
   18446744073709551615, 1.5, -2.5e-300, -12345678901234.123456, 2155, '2024-02-29',
   '-838:59:59.000000', '2024-01-02 03:04:05.123456', '2038-01-19 03:14:07.999', b'1111111111',
   'ab', 'héllo', x'00ff', 'text', x'0102', 'b', 'x,y', '{"a": [1, 2.5]}', POINT(1, 2), NULL),
  (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '0000-00-00', '00:00:00', '0000-00-00 00:00:00', NULL,
   b'0', '', '', '', '', '', 'a', '', '[]', NULL, 7),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"""


def my_packets(stream: bytes):
    at = 0
    while at + 4 <= len(stream):
        length = int.from_bytes(stream[at:at + 3], "little")
        yield stream[at + 3], stream[at + 4:at + 4 + length]
        at += 4 + length


def my_result_sets(stream: bytes):
    """(column definition payloads, row payloads) of each result set after the handshake."""
    packets = list(my_packets(stream))
    i = 0
    while i < len(packets):
        seq, payload = packets[i]
        # A result set starts with a column count (a lone lenenc integer) at sequence id 1.
        if seq == 1 and payload and payload[0] < 0xFB and len(payload) == 1 and payload[0] > 0:
            n = payload[0]
            columns = [p for _, p in packets[i + 1:i + 1 + n]]
            rows, j = [], i + 1 + n
            while j < len(packets) and not (packets[j][1][:1] in (b"\xfe", b"\xff") and len(packets[j][1]) < 0xFFFFFF):
                rows.append(packets[j][1])
                j += 1
            yield columns, rows
            i = j
        i += 1


def record_mysql(cli: str) -> None:
    proxy = Proxy(os.environ["TERN_MYSQL_HOST"], int(os.environ["TERN_MYSQL_PORT"]))
    db = os.environ["TERN_MYSQL_DB"]

    def url(user: str) -> str:
        return f"mysql://{user}@127.0.0.1:{proxy.port}/{db}?ssl-mode=DISABLED"

    proxy.session(cli, [url("tern:tern_pw"), "SET SESSION sql_mode = ''", MY_TABLE, MY_ROWS])
    text = proxy.session(cli, [url("tern_native:native_pw"), "SELECT * FROM fz"])
    # Two parameters, as the harness's execute binds.
    two = ["--param", "7", "--param", "x"]
    binary = proxy.session(cli, [*two, url("tern_native:native_pw"), "SELECT *, ?, ? FROM fz"])
    params = proxy.session(cli, [*two, url("tern:tern_pw"), "SELECT ?, 'a', NULL, ?"])
    denied = proxy.session(cli, [url("tern_native:wrong"), "SELECT 1"])
    # (harness options byte: bit 0 password, bit 2 database; commands: bit 0 query, 1 execute)
    write("mysql_handshake", "native_query", bytes([1 | 4, 0x01]) + text)
    write("mysql_handshake", "native_prepared", bytes([1 | 4, 0x02]) + binary)
    write("mysql_handshake", "native_execute", bytes([1 | 4, 0x02]) + params)
    write("mysql_handshake", "access_denied", bytes([1 | 4, 0x01]) + denied)
    if os.environ.get("TERN_MYSQL_ED25519") == "1":
        ed = proxy.session(cli, [url("tern_ed25519:ed25519_pw"), "SELECT 1"])
        write("mysql_handshake", "ed25519", bytes([1 | 4, 0x01]) + ed)
    # mysql_packets: byte 0 = capabilities (bit 0 DEPRECATE_EOF), then the stream.
    for name, stream in (("text", text), ("binary", binary), ("params", params)):
        write("mysql_packets", name, b"\x01" + stream)
    # mysql_rows, mode 0x80: byte 1 = columns - 1, then the definitions and rows as packets.
    for name, stream in (("text", text), ("binary", binary)):
        for k, (columns, rows) in enumerate(my_result_sets(stream)):
            body = b"".join(make_corpus.packet(s, p) for s, p in enumerate(columns + rows, start=2))
            write("mysql_rows", f"{name}_{k}", bytes([0x80, len(columns) - 1]) + body)


def main() -> None:
    cli = sys.argv[1]
    record_pg(cli)
    record_mysql(cli)


if __name__ == "__main__":
    main()
