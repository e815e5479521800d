package io.recall.worker.capture;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.TransactionChunk;
import io.recall.worker.capture.pgoutput.Begin;
import io.recall.worker.capture.pgoutput.ColumnValue;
import io.recall.worker.capture.pgoutput.Commit;
import io.recall.worker.capture.pgoutput.Delete;
import io.recall.worker.capture.pgoutput.Insert;
import io.recall.worker.capture.pgoutput.LogicalMessage;
import io.recall.worker.capture.pgoutput.Relation;
import io.recall.worker.capture.pgoutput.Truncate;
import io.recall.worker.capture.pgoutput.TupleData;
import io.recall.worker.capture.pgoutput.Update;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-data builder: pgoutput messages go through the stream worker's own {@code TransactionAssembler}, so replay
 * tests read chunks exactly as capture cuts them (chunk boundaries, large-value parts, relation definitions). Values
 * are text, {@code null}, or {@link #TOAST} for an unchanged TOASTed value.
 */
public final class PgOutputStream {

    /** An unchanged TOASTed value. */
    public static final Object TOAST = new Object();

    private final List<TransactionChunk> chunks = new ArrayList<>();
    private final TransactionAssembler assembler;
    private Lsn open;

    public PgOutputStream(int maxChunkBytes) {
        assembler = new TransactionAssembler(SourceId.random(), 1, maxChunkBytes, e -> {
            if (e.envelope().getBody() instanceof TransactionChunk c) {
                chunks.add(c);
            }
        });
    }

    /** A column spec: {@code "id*"} is a key column, {@code "body"} is not; all columns are text (oid 25). */
    public PgOutputStream relation(int id, String schema, String table, char identity, String... columns) {
        List<Relation.Column> cols = new ArrayList<>();
        for (String c : columns) {
            boolean key = c.endsWith("*");
            cols.add(new Relation.Column(key, key ? c.substring(0, c.length() - 1) : c, 25, -1));
        }
        assembler.accept(new Relation(id, schema, table, identity, cols));
        return this;
    }

    public PgOutputStream begin(long commitLsn, long xid, Instant commitTime) {
        open = new Lsn(commitLsn);
        assembler.accept(new Begin(open, commitTime, xid));
        return this;
    }

    public PgOutputStream commit() {
        assembler.accept(new Commit(0, open, new Lsn(open.value() + 8), Instant.EPOCH));
        return this;
    }

    public PgOutputStream insert(int relation, Object... values) {
        assembler.accept(new Insert(relation, tuple(values)));
        return this;
    }

    /** An UPDATE without an old tuple (the key did not change). */
    public PgOutputStream update(int relation, Object... values) {
        assembler.accept(new Update(relation, null, null, tuple(values)));
        return this;
    }

    /** An UPDATE with a 'K' old key tuple (every column, NULL where not key). */
    public PgOutputStream updateKey(int relation, Object[] oldKey, Object... values) {
        assembler.accept(new Update(relation, tuple(oldKey), null, tuple(values)));
        return this;
    }

    /** An UPDATE with an 'O' whole old row (REPLICA IDENTITY FULL). */
    public PgOutputStream updateFull(int relation, Object[] oldRow, Object... values) {
        assembler.accept(new Update(relation, null, tuple(oldRow), tuple(values)));
        return this;
    }

    public PgOutputStream deleteKey(int relation, Object... oldKey) {
        assembler.accept(new Delete(relation, tuple(oldKey), null));
        return this;
    }

    public PgOutputStream deleteFull(int relation, Object... oldRow) {
        assembler.accept(new Delete(relation, null, tuple(oldRow)));
        return this;
    }

    public PgOutputStream truncate(boolean cascade, boolean restartIdentity, Integer... relations) {
        assembler.accept(new Truncate(List.of(relations), cascade, restartIdentity));
        return this;
    }

    public PgOutputStream message(boolean transactional, String prefix, String content) {
        assembler.accept(new LogicalMessage(
                transactional,
                open == null ? Lsn.parse("0/1") : open,
                prefix,
                content.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    public List<TransactionChunk> chunks() {
        return List.copyOf(chunks);
    }

    private static TupleData tuple(Object... values) {
        List<ColumnValue> out = new ArrayList<>();
        for (Object v : values) {
            if (v == null) {
                out.add(new ColumnValue.Null());
            } else if (v == TOAST) {
                out.add(new ColumnValue.UnchangedToast());
            } else {
                out.add(new ColumnValue.Text(v.toString()));
            }
        }
        return new TupleData(out);
    }
}
