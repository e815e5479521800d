package io.recall.worker.capture.pgoutput;

import io.recall.common.Lsn;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * Test-data builder that writes pgoutput wire format: big-endian {@code IntN}, NUL-terminated UTF-8 strings,
 * {@code TupleData}. Written independently of the decoder, from the protocol documentation.
 */
final class PgOutputWire {

    private static final Instant PG_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private PgOutputWire() {}

    /** Starts a message with its {@code Byte1} type. */
    static PgOutputWire message(char type) {
        return new PgOutputWire().int8(type);
    }

    /** Starts a byte sequence with no type byte. */
    static PgOutputWire bytes() {
        return new PgOutputWire();
    }

    PgOutputWire int8(int value) {
        out.write(value);
        return this;
    }

    PgOutputWire int16(int value) {
        return int8(value >>> 8).int8(value);
    }

    PgOutputWire int32(int value) {
        return int16(value >>> 16).int16(value);
    }

    PgOutputWire int64(long value) {
        return int32((int) (value >>> 32)).int32((int) value);
    }

    PgOutputWire lsn(String lsn) {
        return int64(Lsn.parse(lsn).value());
    }

    /** A {@code TimestampTz}: microseconds since 2000-01-01 UTC. */
    PgOutputWire timestamp(Instant instant) {
        Duration sincePgEpoch = Duration.between(PG_EPOCH, instant);
        return int64(sincePgEpoch.getSeconds() * 1_000_000L + sincePgEpoch.getNano() / 1_000);
    }

    /** A {@code String}: UTF-8 bytes and a NUL terminator. */
    PgOutputWire string(String value) {
        return raw(value.getBytes(StandardCharsets.UTF_8)).int8(0);
    }

    PgOutputWire raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A {@code TupleData}: {@code Int16} column count, then each value as its kind byte and, for 't'/'b', data. */
    PgOutputWire tuple(ColumnValue... values) {
        int16(values.length);
        for (ColumnValue value : values) {
            switch (value) {
                case ColumnValue.Null ignored -> int8('n');
                case ColumnValue.UnchangedToast ignored -> int8('u');
                case ColumnValue.Text text -> {
                    byte[] utf8 = text.value().getBytes(StandardCharsets.UTF_8);
                    int8('t').int32(utf8.length).raw(utf8);
                }
                case ColumnValue.Binary binary ->
                    int8('b').int32(binary.value().length).raw(binary.value());
            }
        }
        return this;
    }

    /** A relation column: {@code Int8} flags, {@code String} name, {@code Int32} type OID, {@code Int32} typmod. */
    PgOutputWire column(boolean key, String name, int typeOid, int typeModifier) {
        return int8(key ? 1 : 0).string(name).int32(typeOid).int32(typeModifier);
    }

    byte[] build() {
        return out.toByteArray();
    }

    ByteBuffer buffer() {
        return ByteBuffer.wrap(build());
    }
}
