package io.recall.worker.capture.pgoutput;

import io.recall.common.Lsn;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Decodes PostgreSQL's {@code pgoutput} logical replication protocol, version 1 (PostgreSQL 13-17), as described in
 * the "Logical Replication Message Formats" chapter of the PostgreSQL documentation.
 *
 * <p>Strict by design, because a misread change would silently corrupt a restore: a message must be exactly one
 * complete message, every flag byte must hold only the bits protocol version 1 defines, and a message type that
 * version 1 does not define (the streaming messages {@code 'S' 'E' 'c' 'A'} of version 2, the two-phase messages of
 * version 3, or anything else) is rejected, never skipped. All failures are {@link PgOutputProtocolException}s.
 *
 * <p>Stateless and thread-safe.
 */
public final class PgOutputDecoder {

    /** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix seconds. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;

    private static final int TRUNCATE_CASCADE = 1;
    private static final int TRUNCATE_RESTART_IDENTITY = 2;
    private static final int COLUMN_KEY = 1;
    private static final int MESSAGE_TRANSACTIONAL = 1;

    private PgOutputDecoder() {}

    /**
     * Decodes one pgoutput message (the bytes of one XLogData payload); thread-safe, stateless.
     *
     * <p>Reads the bytes between the buffer's position and limit, which must hold exactly one message starting with
     * its type byte. The buffer's position, limit and byte order are left unchanged, and the returned message shares
     * no state with it.
     *
     * @throws PgOutputProtocolException if the bytes are not one well-formed protocol version 1 message
     */
    public static PgOutputMessage decode(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        PgOutputReader in = new PgOutputReader(buffer);
        PgOutputMessage message = switch (in.type()) {
            case 'B' -> begin(in);
            case 'C' -> commit(in);
            case 'O' -> origin(in);
            case 'R' -> relation(in);
            case 'Y' -> type(in);
            case 'I' -> insert(in);
            case 'U' -> update(in);
            case 'D' -> delete(in);
            case 'T' -> truncate(in);
            case 'M' -> logicalMessage(in);
            default -> throw new PgOutputProtocolException(in.type(), 0, unknownTypeProblem(in.type()));
        };
        in.requireEnd();
        return message;
    }

    /** Decodes one pgoutput message held in {@code bytes}; see {@link #decode(ByteBuffer)}. */
    public static PgOutputMessage decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** Converts a {@code TimestampTz}: microseconds since 2000-01-01 00:00:00 UTC. */
    static Instant timestamp(long micros) {
        return Instant.ofEpochSecond(
                PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    private static Begin begin(PgOutputReader in) {
        Lsn finalLsn = new Lsn(in.int64("final LSN"));
        Instant commitTime = timestamp(in.int64("commit timestamp"));
        long xid = Integer.toUnsignedLong(in.int32("xid"));
        return new Begin(finalLsn, commitTime, xid);
    }

    private static Commit commit(PgOutputReader in) {
        int at = in.offset();
        int flags = in.int8("flags");
        if (flags != 0) {
            throw in.malformed(at, "Commit flags are unused in protocol version 1 and must be 0, got " + flags);
        }
        Lsn commitLsn = new Lsn(in.int64("commit LSN"));
        Lsn endLsn = new Lsn(in.int64("end LSN"));
        Instant commitTime = timestamp(in.int64("commit timestamp"));
        return new Commit(flags, commitLsn, endLsn, commitTime);
    }

    private static Origin origin(PgOutputReader in) {
        Lsn originLsn = new Lsn(in.int64("origin LSN"));
        return new Origin(originLsn, in.string("origin name"));
    }

    private static Relation relation(PgOutputReader in) {
        int relationId = in.int32("relation OID");
        String schema = in.string("namespace");
        String table = in.string("relation name");
        int at = in.offset();
        char replicaIdentity = (char) in.int8("replica identity");
        if (!Relation.isReplicaIdentity(replicaIdentity)) {
            throw in.malformed(
                    at,
                    "replica identity " + PgOutputProtocolException.typeByte(replicaIdentity)
                            + " is none of 'd', 'n', 'f', 'i'");
        }
        int count = count(in, in.int16("column count"), "column count");
        List<Relation.Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String column = "of column " + i;
            at = in.offset();
            int flags = in.int8("flags " + column);
            if ((flags & ~COLUMN_KEY) != 0) {
                throw in.malformed(at, "column " + i + " has unknown flag bits " + flags);
            }
            String name = in.string("name " + column);
            int typeOid = in.int32("type OID " + column);
            int typeModifier = in.int32("type modifier " + column);
            columns.add(new Relation.Column((flags & COLUMN_KEY) != 0, name, typeOid, typeModifier));
        }
        return new Relation(relationId, schema, table, replicaIdentity, columns);
    }

    private static TypeInfo type(PgOutputReader in) {
        int typeOid = in.int32("type OID");
        String schema = in.string("namespace");
        return new TypeInfo(typeOid, schema, in.string("type name"));
    }

    private static Insert insert(PgOutputReader in) {
        int relationId = in.int32("relation OID");
        expectTupleMarker(in, 'N', "'N' (new tuple)");
        return new Insert(relationId, tuple(in));
    }

    private static Update update(PgOutputReader in) {
        int relationId = in.int32("relation OID");
        int at = in.offset();
        int marker = in.int8("tuple marker");
        TupleData oldKey = null;
        TupleData oldTuple = null;
        switch (marker) {
            case 'K' -> oldKey = tuple(in);
            case 'O' -> oldTuple = tuple(in);
            case 'N' -> {
                return new Update(relationId, null, null, tuple(in));
            }
            default -> throw badMarker(in, at, marker, "'K' (old key), 'O' (old tuple) or 'N' (new tuple)");
        }
        expectTupleMarker(in, 'N', "'N' (new tuple) after the old values");
        return new Update(relationId, oldKey, oldTuple, tuple(in));
    }

    private static Delete delete(PgOutputReader in) {
        int relationId = in.int32("relation OID");
        int at = in.offset();
        int marker = in.int8("tuple marker");
        return switch (marker) {
            case 'K' -> new Delete(relationId, tuple(in), null);
            case 'O' -> new Delete(relationId, null, tuple(in));
            default -> throw badMarker(in, at, marker, "'K' (old key) or 'O' (old tuple)");
        };
    }

    private static Truncate truncate(PgOutputReader in) {
        int countAt = in.offset();
        int count = in.int32("relation count");
        if (count < 0) {
            throw in.malformed(countAt, "negative relation count " + count);
        }
        int at = in.offset();
        int options = in.int8("option bits");
        if ((options & ~(TRUNCATE_CASCADE | TRUNCATE_RESTART_IDENTITY)) != 0) {
            throw in.malformed(at, "unknown truncate option bits " + options);
        }
        in.require(4L * count, count + " relation OIDs");
        List<Integer> relationIds = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            relationIds.add(in.int32("relation OID " + i));
        }
        return new Truncate(relationIds, (options & TRUNCATE_CASCADE) != 0, (options & TRUNCATE_RESTART_IDENTITY) != 0);
    }

    private static LogicalMessage logicalMessage(PgOutputReader in) {
        int at = in.offset();
        int flags = in.int8("flags");
        if ((flags & ~MESSAGE_TRANSACTIONAL) != 0) {
            throw in.malformed(at, "unknown logical message flag bits " + flags);
        }
        Lsn lsn = new Lsn(in.int64("message LSN"));
        String prefix = in.string("prefix");
        int length = length(in, "content length");
        byte[] content = in.bytes(length, "content");
        return new LogicalMessage(flags == MESSAGE_TRANSACTIONAL, lsn, prefix, content);
    }

    private static TupleData tuple(PgOutputReader in) {
        int count = count(in, in.int16("tuple column count"), "tuple column count");
        List<ColumnValue> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = in.offset();
            int kind = in.int8("kind", i);
            values.add(
                    switch (kind) {
                        case 'n' -> ColumnValue.NULL;
                        case 'u' -> ColumnValue.UNCHANGED_TOAST;
                        case 't' -> new ColumnValue.Text(in.columnText(columnLength(in, i), i));
                        case 'b' -> new ColumnValue.Binary(in.columnBytes(columnLength(in, i), i));
                        default ->
                            throw in.malformed(
                                    at,
                                    "column " + i + " has unknown kind " + PgOutputProtocolException.typeByte(kind)
                                            + ", expected 'n', 'u', 't' or 'b'");
                    });
        }
        return new TupleData(values);
    }

    /** A column value's {@code Int32} byte length; negative is malformed. */
    private static int columnLength(PgOutputReader in, int column) {
        int at = in.offset();
        int length = in.int32("length", column);
        if (length < 0) {
            throw in.malformed(at, "negative length of column " + column + " " + length);
        }
        return length;
    }

    private static void expectTupleMarker(PgOutputReader in, char expected, String description) {
        int at = in.offset();
        int marker = in.int8("tuple marker");
        if (marker != expected) {
            throw badMarker(in, at, marker, description);
        }
    }

    private static PgOutputProtocolException badMarker(PgOutputReader in, int at, int marker, String expected) {
        return in.malformed(
                at, "tuple marker " + PgOutputProtocolException.typeByte(marker) + ", expected " + expected);
    }

    /** An {@code Int16} count, read just before; negative is malformed. */
    private static int count(PgOutputReader in, int count, String field) {
        if (count < 0) {
            throw in.malformed(in.offset() - 2, "negative " + field + " " + count);
        }
        return count;
    }

    /** An {@code Int32} byte length; negative is malformed, one that overruns the message is truncated. */
    private static int length(PgOutputReader in, String field) {
        int at = in.offset();
        int length = in.int32(field);
        if (length < 0) {
            throw in.malformed(at, "negative " + field + " " + length);
        }
        return length;
    }

    private static String unknownTypeProblem(int type) {
        String known = "; protocol version 1 knows 'B', 'C', 'O', 'R', 'Y', 'I', 'U', 'D', 'T' and 'M'";
        return switch (type) {
            case 'S' -> "Stream Start is a protocol version 2 message" + known;
            case 'E' -> "Stream Stop is a protocol version 2 message" + known;
            case 'c' -> "Stream Commit is a protocol version 2 message" + known;
            case 'A' -> "Stream Abort is a protocol version 2 message" + known;
            case 'b' -> "Begin Prepare is a protocol version 3 message" + known;
            case 'P' -> "Prepare is a protocol version 3 message" + known;
            case 'K' -> "Commit Prepared is a protocol version 3 message" + known;
            case 'r' -> "Rollback Prepared is a protocol version 3 message" + known;
            case 'p' -> "Stream Prepare is a protocol version 3 message" + known;
            case 'w' ->
                "'w' is the XLogData header of the streaming replication protocol;"
                        + " pass only the payload after its 25-byte header";
            case 'k' -> "'k' is a primary keepalive of the streaming replication protocol, not a pgoutput message";
            default -> "unknown message type" + known;
        };
    }
}
