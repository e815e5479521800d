package io.recall.worker.capture;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.ddl.DdlCapture;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.ColumnDef;
import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import io.recall.worker.capture.pgoutput.Begin;
import io.recall.worker.capture.pgoutput.ColumnValue;
import io.recall.worker.capture.pgoutput.Commit;
import io.recall.worker.capture.pgoutput.Delete;
import io.recall.worker.capture.pgoutput.Insert;
import io.recall.worker.capture.pgoutput.LogicalMessage;
import io.recall.worker.capture.pgoutput.Origin;
import io.recall.worker.capture.pgoutput.PgOutputMessage;
import io.recall.worker.capture.pgoutput.Relation;
import io.recall.worker.capture.pgoutput.Truncate;
import io.recall.worker.capture.pgoutput.TupleData;
import io.recall.worker.capture.pgoutput.TypeInfo;
import io.recall.worker.capture.pgoutput.Update;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns the pgoutput message stream of one source into {@link ChangeEnvelope} records of bounded size.
 *
 * <p>A transaction becomes one or more {@link TransactionChunk}s, emitted as soon as a chunk is full — pgoutput's
 * Begin already carries the commit LSN and time, so a transaction larger than memory never has to be held: memory
 * is bounded by one chunk. A single value larger than a chunk travels as {@link LargeValuePart}s in the chunks just
 * before the chunk holding its change, which refers to them with a {@link LargeValueRef}. Every chunk carries the
 * relation metadata its changes refer to, so it can be interpreted on its own.
 *
 * <p>Not thread-safe: one instance per replication stream, fed from the stream's thread.
 */
final class TransactionAssembler {

    /** One record to publish; {@code lastOfTransaction} marks where the slot may be confirmed up to {@code endLsn}. */
    record Emitted(
            ChangeEnvelope envelope, boolean lastOfTransaction, Lsn commitLsn, Lsn endLsn, int approximateBytes) {}

    /** Per-value and per-change framing overhead in the size estimate. */
    private static final int VALUE_OVERHEAD = 4;

    private static final int CHANGE_OVERHEAD = 32;

    // every record carries it: formatted once (UUID.toString per chunk showed in capture's allocation profile)
    private final String sourceText;
    private final long epoch;
    private final int maxChunkBytes;
    private final Consumer<Emitted> sink;

    private final Map<Integer, RelationDef> relations = new HashMap<>();
    private final Map<Integer, String> typeNames = new HashMap<>();

    // the open transaction
    private Begin begin;
    private int chunkIndex;
    private List<RowChange> changes = new ArrayList<>();
    private List<LargeValuePart> parts = new ArrayList<>();
    private final Map<Integer, RelationDef> chunkRelations = new LinkedHashMap<>();
    private int chunkBytes;

    TransactionAssembler(SourceId source, long epoch, int maxChunkBytes, Consumer<Emitted> sink) {
        if (maxChunkBytes < 1024) {
            throw new IllegalArgumentException("maxChunkBytes must be at least 1024");
        }
        this.sourceText = source.toString();
        this.epoch = epoch;
        this.maxChunkBytes = maxChunkBytes;
        this.sink = sink;
    }

    /** Sees every Relation message that arrives inside a transaction; returns DDL records to put in before it. */
    @FunctionalInterface
    interface RelationHook {
        List<byte[]> onRelation(RelationDef def, long commitLsn);
    }

    private RelationHook relationHook;
    // the relation id of Recall's DDL log (PostgreSQL 13's transport) once pgoutput described it; 0 until then
    private int ddlLogRelationId;

    void relationHook(RelationHook hook) {
        this.relationHook = hook;
    }

    boolean inTransaction() {
        return begin != null;
    }

    void accept(PgOutputMessage message) {
        switch (message) {
            case Begin b -> {
                if (begin != null) {
                    throw new IllegalStateException("Begin of xid " + b.xid() + " inside xid " + begin.xid());
                }
                begin = b;
                chunkIndex = 0;
            }
            case Commit c -> {
                requireTransaction(c);
                if (!c.commitLsn().equals(begin.finalLsn())) {
                    throw new IllegalStateException(
                            "Commit LSN " + c.commitLsn() + " does not match Begin's " + begin.finalLsn());
                }
                flush(true, c.endLsn());
                begin = null;
            }
            case Relation r -> {
                RelationDef def = toRelationDef(r);
                relations.put(r.relationId(), def);
                if (DdlCapture.SCHEMA.equals(def.getSchema$()) && DdlCapture.LOG_TABLE_NAME.equals(def.getTable())) {
                    ddlLogRelationId = r.relationId(); // checked per change: an int, not two names
                }
                if (relationHook != null && begin != null) {
                    // derived schema changes go before the transaction's first change under the new definition
                    for (byte[] content :
                            relationHook.onRelation(def, begin.finalLsn().value())) {
                        RowChange change = RowChange.newBuilder()
                                .setOp(Op.MESSAGE)
                                .setRelationId(0)
                                .setMessagePrefix(DdlCapture.DDL_PREFIX)
                                .setMessageContent(ByteBuffer.wrap(content))
                                .build();
                        append(change, CHANGE_OVERHEAD + DdlCapture.DDL_PREFIX.length() + content.length, List.of());
                    }
                }
            }
            case TypeInfo t -> typeNames.put(t.typeOid(), t.schema() + "." + t.name());
            case Origin o -> {
                // replication origin of changes that were themselves replicated here: nothing to keep
            }
            case Insert i when isDdlLog(i.relationId()) -> ddlLogRow(i);
            case Update u when isDdlLog(u.relationId()) -> {
                // Recall never updates its log's rows
            }
            case Delete d when isDdlLog(d.relationId()) -> {
                // nor deletes them
            }
            case Insert i -> add(Op.INSERT, i.relationId(), i.newTuple(), null, false);
            case Update u -> {
                TupleData old = u.oldKey() != null ? u.oldKey() : u.oldTuple();
                add(Op.UPDATE, u.relationId(), u.newTuple(), old, u.oldKey() != null);
            }
            case Delete d -> {
                TupleData old = d.oldKey() != null ? d.oldKey() : d.oldTuple();
                add(Op.DELETE, d.relationId(), null, old, d.oldKey() != null);
            }
            case Truncate t -> {
                requireTransaction(t);
                List<Integer> ids =
                        t.relationIds().stream().filter(id -> !isDdlLog(id)).toList();
                if (ids.isEmpty()) {
                    return;
                }
                List<RelationDef> defs = ids.stream().map(this::relation).toList();
                RowChange change = RowChange.newBuilder()
                        .setOp(Op.TRUNCATE)
                        .setRelationId(0)
                        .setTruncatedRelations(ids)
                        .setTruncateCascade(t.cascade())
                        .setTruncateRestartIdentity(t.restartIdentity())
                        .build();
                append(change, CHANGE_OVERHEAD + 4 * t.relationIds().size(), defs);
            }
            case LogicalMessage m -> {
                if (m.transactional()) {
                    requireTransaction(m);
                    append(message(m), CHANGE_OVERHEAD + m.prefix().length() + m.content().length, List.of());
                } else {
                    emitStandaloneMessage(m);
                }
            }
        }
    }

    /** Whether the relation is Recall's DDL log, PostgreSQL 13's transport for DDL records. */
    private boolean isDdlLog(int relationId) {
        return relationId == ddlLogRelationId;
    }

    /** A row of the DDL log becomes the logical message it stands for, so everything downstream sees one form. */
    private void ddlLogRow(Insert i) {
        requireTransaction(i);
        RelationDef def = relation(i.relationId());
        String prefix = null;
        String content = null;
        for (int c = 0; c < def.getColumns().size() && c < i.newTuple().size(); c++) {
            String name = def.getColumns().get(c).getName();
            if (i.newTuple().get(c) instanceof ColumnValue.Text t) {
                if (name.equals("prefix")) {
                    prefix = t.value();
                } else if (name.equals("content")) {
                    content = t.value();
                }
            }
        }
        if (prefix == null || content == null) {
            throw new IllegalStateException("a row of " + DdlCapture.LOG_TABLE + " without prefix or content");
        }
        byte[] bytes = content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        RowChange change = RowChange.newBuilder()
                .setOp(Op.MESSAGE)
                .setRelationId(0)
                .setMessagePrefix(prefix)
                .setMessageContent(ByteBuffer.wrap(bytes))
                .build();
        append(change, CHANGE_OVERHEAD + prefix.length() + bytes.length, List.of());
    }

    private void requireTransaction(PgOutputMessage m) {
        if (begin == null) {
            throw new IllegalStateException(m.getClass().getSimpleName() + " outside a transaction");
        }
    }

    private RelationDef relation(int id) {
        RelationDef def = relations.get(id);
        if (def == null) {
            throw new IllegalStateException("change for relation " + id + " before its Relation message");
        }
        return def;
    }

    private RelationDef toRelationDef(Relation r) {
        List<ColumnDef> columns = new ArrayList<>(r.columns().size());
        for (Relation.Column c : r.columns()) {
            columns.add(ColumnDef.newBuilder()
                    .setName(c.name())
                    .setTypeOid(c.typeOid())
                    .setTypeModifier(c.typeModifier())
                    .setKey(c.key())
                    .setTypeName(typeNames.get(c.typeOid()))
                    .build());
        }
        return RelationDef.newBuilder()
                .setRelationId(r.relationId())
                .setSchema$(r.schema())
                .setTable(r.table())
                .setReplicaIdentity(String.valueOf(r.replicaIdentity()))
                .setColumns(columns)
                .build();
    }

    private void add(Op op, int relationId, TupleData newTuple, TupleData oldTuple, boolean oldIsKey) {
        if (begin == null) {
            throw new IllegalStateException(op + " outside a transaction");
        }
        RelationDef def = relation(relationId);
        int size = CHANGE_OVERHEAD;
        // values too big for a chunk of their own are moved out first, in parts
        List<Object> newValues = newTuple == null ? null : values(newTuple, false);
        List<Object> oldValues = oldTuple == null ? null : values(oldTuple, true);
        size += estimate(newValues) + estimate(oldValues);
        // the constructor, not the builder: the builder deep-copies the schema's defaults of the other fields for
        // every change, which showed in capture's profile; these are the same defaults
        RowChange change =
                new RowChange(op, relationId, newValues, oldValues, oldIsKey, List.of(), false, false, null, null);
        append(change, size, def);
    }

    /** Converts a tuple; a value larger than a third of a chunk is emitted now as parts and replaced by a reference. */
    private List<Object> values(TupleData tuple, boolean old) {
        List<Object> out = new ArrayList<>(tuple.values().size());
        int column = 0;
        for (ColumnValue v : tuple.values()) {
            Object value = switch (v) {
                case ColumnValue.Null n -> null;
                case ColumnValue.UnchangedToast u -> new UnchangedToast();
                case ColumnValue.Text t ->
                    t.value().length() > maxChunkBytes / 3 ? splitLarge(t.value(), old, column) : t.value();
                case ColumnValue.Binary b -> ByteBuffer.wrap(b.value());
            };
            out.add(value);
            column++;
        }
        return out;
    }

    /**
     * Emits the value's parts in chunks of their own before the chunk that will hold its change. The change will be
     * the first one of that chunk ({@code changeIndex} 0), since the current chunk is flushed here.
     */
    private LargeValueRef splitLarge(String value, boolean old, int column) {
        flush(false, null);
        // a third of a chunk in UTF-16 units stays within a chunk in UTF-8 (at most 3 bytes per unit)
        int partSize = maxChunkBytes / 3;
        int part = 0;
        int from = 0;
        while (from < value.length()) {
            int to = Math.min(value.length(), from + partSize);
            if (to < value.length() && Character.isHighSurrogate(value.charAt(to - 1))) {
                to--; // keep surrogate pairs together so every part is valid text
            }
            parts.add(LargeValuePart.newBuilder()
                    .setChangeIndex(0)
                    .setOldValue(old)
                    .setColumn(column)
                    .setPart(part++)
                    .setText(value.substring(from, to))
                    .build());
            chunkBytes += 3 * (to - from);
            flush(false, null);
            from = to;
        }
        return new LargeValueRef(part, (long) value.length());
    }

    private static int estimate(List<Object> values) {
        if (values == null) {
            return 0;
        }
        int n = 0;
        for (Object v : values) {
            n += VALUE_OVERHEAD;
            if (v instanceof String s) {
                // UTF-8 takes up to 3 bytes per UTF-16 unit
                n += s.length() <= 64 ? s.length() * 3 : s.length() + s.length() / 2;
            } else if (v instanceof ByteBuffer b) {
                n += b.remaining();
            }
        }
        return n;
    }

    /**
     * Adds a change and the relation definitions it was decoded with. A chunk holds one definition per relation id,
     * so a definition that changed inside the transaction (DDL between changes) starts a new chunk.
     */
    private void append(RowChange change, int size, List<RelationDef> defs) {
        boolean redefined = false;
        for (RelationDef d : defs) {
            redefined |= redefines(d);
        }
        if ((chunkBytes + size > maxChunkBytes || redefined) && !changes.isEmpty()) {
            flush(false, null);
        }
        for (RelationDef d : defs) {
            chunkRelations.put(d.getRelationId(), d);
        }
        changes.add(change);
        chunkBytes += size;
    }

    /** {@link #append(RowChange, int, List)} for a change of one relation, the common case, without a list. */
    private void append(RowChange change, int size, RelationDef def) {
        if ((chunkBytes + size > maxChunkBytes || redefines(def)) && !changes.isEmpty()) {
            flush(false, null);
        }
        chunkRelations.put(def.getRelationId(), def);
        changes.add(change);
        chunkBytes += size;
    }

    /** Whether the open chunk holds another definition of the relation (a schema change inside the transaction). */
    private boolean redefines(RelationDef d) {
        RelationDef known = chunkRelations.get(d.getRelationId());
        // the same instance unless a Relation message replaced it: skip Avro's field-by-field equals then
        return known != null && known != d && !known.equals(d);
    }

    /** Emits the open chunk (if it holds anything, or if it is the transaction's last). */
    private void flush(boolean last, Lsn endLsn) {
        if (!last && changes.isEmpty() && parts.isEmpty()) {
            return;
        }
        List<RelationDef> rels = List.copyOf(chunkRelations.values());
        TransactionChunk chunk = TransactionChunk.newBuilder()
                .setXid(begin.xid())
                .setCommitLsn(begin.finalLsn().value())
                .setCommitTime(begin.commitTime())
                .setChunkIndex(chunkIndex++)
                .setLastChunk(last)
                .setEndLsn(last ? endLsn.value() : 0)
                .setRelations(rels)
                .setChanges(changes)
                .setLargeValueParts(parts)
                .build();
        ChangeEnvelope envelope = ChangeEnvelope.newBuilder()
                .setSourceId(sourceText)
                .setCaptureEpoch(epoch)
                .setBody(chunk)
                .build();
        sink.accept(new Emitted(envelope, last, begin.finalLsn(), last ? endLsn : null, chunkBytes));
        changes = new ArrayList<>();
        parts = new ArrayList<>();
        chunkRelations.clear();
        chunkBytes = 0;
    }

    private void emitStandaloneMessage(LogicalMessage m) {
        TransactionChunk chunk = TransactionChunk.newBuilder()
                .setXid(0)
                .setCommitLsn(m.lsn().value())
                .setCommitTime(Instant.now())
                .setChunkIndex(0)
                .setLastChunk(true)
                .setEndLsn(m.lsn().value())
                .setRelations(List.of())
                .setChanges(List.of(message(m)))
                .setLargeValueParts(List.of())
                .build();
        sink.accept(new Emitted(
                ChangeEnvelope.newBuilder()
                        .setSourceId(sourceText)
                        .setCaptureEpoch(epoch)
                        .setBody(chunk)
                        .build(),
                false,
                m.lsn(),
                null,
                m.content().length));
    }

    private static RowChange message(LogicalMessage m) {
        return RowChange.newBuilder()
                .setOp(Op.MESSAGE)
                .setRelationId(0)
                .setMessagePrefix(m.prefix())
                .setMessageContent(ByteBuffer.wrap(m.content()))
                .build();
    }
}
