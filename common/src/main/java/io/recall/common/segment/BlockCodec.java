package io.recall.common.segment;

import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.SequenceValue;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.segment.ChangeColumns;
import io.recall.schemas.segment.ChunkColumns;
import io.recall.schemas.segment.HeartbeatColumns;
import io.recall.schemas.segment.LargeValuePartColumns;
import io.recall.schemas.segment.SegmentBlock;
import io.recall.schemas.segment.SequenceColumns;
import io.recall.schemas.segment.ValueColumn;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.IndexedRecord;

/**
 * Segment format version 2: change records to {@link SegmentBlock}s and back. Both directions are here, in the same
 * order, so that they can be read side by side; {@code SegmentBlock.avsc} documents each column.
 */
final class BlockCodec {

    // SegmentBlock.bodies
    private static final int CHUNK = 0;
    private static final int HEARTBEAT = 1;
    private static final int SEQUENCES = 2;

    // ChangeColumns.flags
    private static final int OLD_IS_KEY = 1;
    private static final int TRUNCATE_CASCADE = 2;
    private static final int TRUNCATE_RESTART_IDENTITY = 4;
    private static final int MESSAGE_PREFIX = 8;
    private static final int MESSAGE_CONTENT = 16;

    private static final Op[] OPS = Op.values();

    // the conversion Avro applies to timestamp-micros fields, so times read back as from a version 1 segment
    private static final TimeConversions.TimestampMicrosConversion MICROS =
            new TimeConversions.TimestampMicrosConversion();

    private BlockCodec() {}

    /**
     * Collects change records of one source into a block. Memory grows with the encoded columns, which are about as
     * large as the records' Avro encoding. One encoder per block; not thread-safe.
     */
    static final class Encoder {

        private final String sourceId;
        private int envelopes;

        private final Map<Schema, ColumnWriter.Columns> records = new HashMap<>();
        private final BlockColumns<ColumnWriter, ColumnWriter.Text> out =
                new BlockColumns<>(schema -> records.computeIfAbsent(schema, ColumnWriter.Columns::new));
        private final Map<RelationDef, Integer> relations = new LinkedHashMap<>();
        // [relation][position], relation as in ChangeColumns.relations; values in the order the columns appeared
        private final List<List<ValueColumns.Writer>> valuesByRelation = new ArrayList<>();
        private final List<ValueColumns.Writer> values = new ArrayList<>();

        /** @param sourceId the source of every record {@link #add}ed */
        Encoder(String sourceId) {
            this.sourceId = sourceId;
        }

        int envelopes() {
            return envelopes;
        }

        /**
         * Adds a record of the encoder's source, one that Avro can write.
         *
         * @throws IllegalArgumentException if its body or a column value is of no type the schema allows; the block
         *     is then as it was
         */
        void add(ChangeEnvelope e) {
            switch (e.getBody()) {
                case TransactionChunk c -> {
                    requireValues(c);
                    out.bodies.put(CHUNK);
                    chunk(c);
                }
                case Heartbeat h -> {
                    out.bodies.put(HEARTBEAT);
                    out.walEnds.putDelta(h.getWalEnd());
                    out.serverTimes.putDelta(micros(h.getServerTime()));
                }
                case SequenceValues s -> {
                    out.bodies.put(SEQUENCES);
                    sequences(s);
                }
                default -> throw new IllegalArgumentException("unknown change record body " + e.getBody());
            }
            out.captureEpochs.putDelta(e.getCaptureEpoch());
            envelopes++;
        }

        private static void requireValues(TransactionChunk c) {
            for (RowChange change : c.getChanges()) {
                for (List<Object> values : List.of(orEmpty(change.getOldValues()), orEmpty(change.getNewValues()))) {
                    for (Object v : values) {
                        if (!ValueColumns.isValue(v)) {
                            throw new IllegalArgumentException("not a column value: " + v.getClass());
                        }
                    }
                }
            }
        }

        private void chunk(TransactionChunk c) {
            out.xids.putDelta(c.getXid());
            out.commitLsns.putDelta(c.getCommitLsn());
            out.commitTimes.putDelta(micros(c.getCommitTime()));
            out.chunkIndexes.put(c.getChunkIndex());
            out.lastChunks.put(c.getLastChunk());
            out.endLsns.put(c.getLastChunk() ? c.getEndLsn() - c.getCommitLsn() : c.getEndLsn());
            Map<Integer, Integer> byId = new HashMap<>();
            list(out.relationCounts, c.getRelations(), r -> {
                Integer ref = relations.get(r);
                if (ref == null) {
                    ref = relations.size();
                    relations.put(RelationDef.newBuilder(r).build(), ref);
                }
                out.chunkRelations.put(ref);
                byId.putIfAbsent(r.getRelationId(), ref);
            });
            list(out.changeCounts, c.getChanges(), change -> change(change, byId.get(change.getRelationId())));
            list(out.partCounts, c.getLargeValueParts(), p -> {
                out.partChanges.put(p.getChangeIndex());
                out.partOldValues.put(p.getOldValue());
                out.partColumns.put(p.getColumn());
                out.partNumbers.put(p.getPart());
                out.partTexts.put(p.getText());
            });
        }

        private void change(RowChange c, Integer ref) {
            out.ops.put(c.getOp().ordinal());
            int relation = ref == null ? 0 : ref + 1;
            out.changeRelations.put(relation);
            if (ref == null) {
                out.otherRelationIds.put(c.getRelationId());
            }
            out.flags.put((c.getOldIsKey() ? OLD_IS_KEY : 0)
                    | (c.getTruncateCascade() ? TRUNCATE_CASCADE : 0)
                    | (c.getTruncateRestartIdentity() ? TRUNCATE_RESTART_IDENTITY : 0)
                    | (c.getMessagePrefix() != null ? MESSAGE_PREFIX : 0)
                    | (c.getMessageContent() != null ? MESSAGE_CONTENT : 0));
            values(relation, c.getOldValues(), out.oldValueCounts);
            values(relation, c.getNewValues(), out.newValueCounts);
            list(out.truncatedCounts, c.getTruncatedRelations(), out.truncated::put);
            if (c.getMessagePrefix() != null) {
                out.messagePrefixes.put(c.getMessagePrefix());
            }
            if (c.getMessageContent() != null) {
                out.messageContents.put(c.getMessageContent());
            }
        }

        private void values(int relation, List<Object> row, ColumnWriter counts) {
            counts.put(row == null ? 0 : 1 + row.size());
            if (row == null) {
                return;
            }
            while (valuesByRelation.size() <= relation) {
                valuesByRelation.add(new ArrayList<>());
            }
            List<ValueColumns.Writer> columns = valuesByRelation.get(relation);
            for (int p = 0; p < row.size(); p++) {
                if (p == columns.size()) {
                    ValueColumns.Writer column = new ValueColumns.Writer(relation, p);
                    columns.add(column);
                    values.add(column);
                }
                columns.get(p).add(row.get(p));
            }
        }

        private void sequences(SequenceValues s) {
            out.sequenceLsns.putDelta(s.getLsn());
            out.readAts.putDelta(micros(s.getReadAt()));
            list(out.sequenceCounts, s.getSequences(), v -> {
                out.sequenceSchemas.put(v.getSchema$());
                out.sequenceNames.put(v.getName());
                out.lastValues.put(v.getLastValue());
                out.isCalled.put(v.getIsCalled());
            });
        }

        /** Puts the number of items in {@code counts}, then each item in its columns. */
        private static <T> void list(ColumnWriter counts, List<T> items, Consumer<T> item) {
            counts.put(items.size());
            items.forEach(item);
        }

        /** The block; the encoder is not used after. */
        SegmentBlock finish() {
            SegmentBlock b = fill(new SegmentBlock());
            b.setSourceId(sourceId);
            b.setEnvelopes(envelopes);
            b.setRelations(new ArrayList<>(relations.keySet()));
            b.setChunks(fill(new ChunkColumns()));
            b.setChanges(fill(new ChangeColumns()));
            b.setValues(values.stream().map(ValueColumns.Writer::finish).toList());
            b.setLargeValueParts(fill(new LargeValuePartColumns()));
            b.setHeartbeats(fill(new HeartbeatColumns()));
            b.setSequences(fill(new SequenceColumns()));
            return b;
        }

        private <R extends IndexedRecord> R fill(R record) {
            return records.get(record.getSchema()).fill(record);
        }
    }

    /** Gives back a block's change records in order. Not thread-safe. */
    static final class Decoder implements Iterator<ChangeEnvelope> {

        private final SegmentBlock block;
        private final List<RelationDef> relations;
        private int decoded;

        private final List<ColumnReader.Columns> records = new ArrayList<>();
        private final BlockColumns<ColumnReader, ColumnReader.Text> in;
        private final ValueColumns.Reader[][] values;

        /** @throws SegmentFormatException if the block's value columns do not fit its relations */
        Decoder(SegmentBlock block) {
            this.block = block;
            this.relations = block.getRelations();
            in = new BlockColumns<>(schema -> {
                ColumnReader.Columns columns = new ColumnReader.Columns(record(block, schema));
                records.add(columns);
                return columns;
            });
            values = valueColumns(block);
        }

        private static IndexedRecord record(SegmentBlock block, Schema schema) {
            if (schema.equals(block.getSchema())) {
                return block;
            }
            for (Schema.Field f : block.getSchema().getFields()) {
                if (f.schema().equals(schema)) {
                    return (IndexedRecord) block.get(f.pos());
                }
            }
            throw new IllegalArgumentException("a block has no " + schema.getFullName());
        }

        /** The relation's columns by position: a relation's value arrays fill positions 0 to n - 1. */
        private static ValueColumns.Reader[][] valueColumns(SegmentBlock block) {
            int[] counts = new int[block.getRelations().size() + 1];
            for (ValueColumn c : block.getValues()) {
                if (c.getRelation() < 0 || c.getRelation() >= counts.length) {
                    throw new SegmentFormatException("corrupt segment block: value column of relation "
                            + c.getRelation() + " of " + block.getRelations().size());
                }
                counts[c.getRelation()]++;
            }
            ValueColumns.Reader[][] byRelation = new ValueColumns.Reader[counts.length][];
            for (int r = 0; r < counts.length; r++) {
                byRelation[r] = new ValueColumns.Reader[counts[r]];
            }
            for (ValueColumn c : block.getValues()) {
                ValueColumns.Reader[] columns = byRelation[c.getRelation()];
                if (c.getPosition() < 0 || c.getPosition() >= columns.length || columns[c.getPosition()] != null) {
                    throw new SegmentFormatException("corrupt segment block: value columns of relation "
                            + c.getRelation() + " do not fill positions 0 to " + (columns.length - 1));
                }
                columns[c.getPosition()] = new ValueColumns.Reader(c);
            }
            return byRelation;
        }

        @Override
        public boolean hasNext() {
            return decoded < block.getEnvelopes();
        }

        /** @throws SegmentFormatException if the block is corrupt */
        @Override
        public ChangeEnvelope next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Object body = switch (in.bodies.nextBelow(SEQUENCES + 1)) {
                case CHUNK -> chunk();
                case HEARTBEAT -> new Heartbeat(in.walEnds.nextDelta(), instant(in.serverTimes.nextDelta()));
                default -> sequences();
            };
            ChangeEnvelope e = new ChangeEnvelope(block.getSourceId(), in.captureEpochs.nextDelta(), body);
            if (++decoded == block.getEnvelopes()) {
                requireExhausted();
            }
            return e;
        }

        private TransactionChunk chunk() {
            long xid = in.xids.nextDelta();
            long commitLsn = in.commitLsns.nextDelta();
            Instant commitTime = instant(in.commitTimes.nextDelta());
            int chunkIndex = in.chunkIndexes.nextInt();
            boolean lastChunk = in.lastChunks.nextBoolean();
            long endLsn = in.endLsns.next() + (lastChunk ? commitLsn : 0);
            return new TransactionChunk(
                    xid,
                    commitLsn,
                    commitTime,
                    chunkIndex,
                    lastChunk,
                    endLsn,
                    // copies: records handed out are the caller's to change, as those read from a version 1 segment
                    list(
                            in.relationCounts,
                            () -> RelationDef.newBuilder(relations.get(in.chunkRelations.nextBelow(relations.size())))
                                    .build()),
                    list(in.changeCounts, this::change),
                    list(
                            in.partCounts,
                            () -> new LargeValuePart(
                                    in.partChanges.nextInt(),
                                    in.partOldValues.nextBoolean(),
                                    in.partColumns.nextInt(),
                                    in.partNumbers.nextInt(),
                                    in.partTexts.nextString())));
        }

        private RowChange change() {
            Op op = OPS[in.ops.nextBelow(OPS.length)];
            int relation = in.changeRelations.nextBelow(relations.size() + 1);
            int relationId = relation == 0
                    ? in.otherRelationIds.nextInt()
                    : relations.get(relation - 1).getRelationId();
            int f = in.flags.nextBelow(2 * MESSAGE_CONTENT);
            List<Object> oldValues = values(relation, in.oldValueCounts);
            List<Object> newValues = values(relation, in.newValueCounts);
            List<Integer> truncatedRelations = list(in.truncatedCounts, in.truncated::nextInt);
            return new RowChange(
                    op,
                    relationId,
                    newValues,
                    oldValues,
                    (f & OLD_IS_KEY) != 0,
                    truncatedRelations,
                    (f & TRUNCATE_CASCADE) != 0,
                    (f & TRUNCATE_RESTART_IDENTITY) != 0,
                    (f & MESSAGE_PREFIX) != 0 ? in.messagePrefixes.nextString() : null,
                    (f & MESSAGE_CONTENT) != 0 ? ByteBuffer.wrap(in.messageContents.nextBytes()) : null);
        }

        private List<Object> values(int relation, ColumnReader counts) {
            int count = counts.nextBelow(Integer.MAX_VALUE);
            if (count == 0) {
                return null;
            }
            ValueColumns.Reader[] columns = values[relation];
            if (count - 1 > columns.length) {
                throw counts.corrupt("holds a row of " + (count - 1) + " values where relation " + relation + " has "
                        + columns.length + " value columns");
            }
            List<Object> row = new ArrayList<>(count - 1);
            for (int p = 0; p < count - 1; p++) {
                row.add(columns[p].next());
            }
            return row;
        }

        private SequenceValues sequences() {
            long lsn = in.sequenceLsns.nextDelta();
            Instant readAt = instant(in.readAts.nextDelta());
            return new SequenceValues(
                    lsn,
                    readAt,
                    list(
                            in.sequenceCounts,
                            () -> new SequenceValue(
                                    in.sequenceSchemas.nextString(),
                                    in.sequenceNames.nextString(),
                                    in.lastValues.next(),
                                    in.isCalled.nextBoolean())));
        }

        /** Reads the number of items from {@code counts}, then each item from its columns. */
        private static <T> List<T> list(ColumnReader counts, Supplier<T> item) {
            int count = counts.nextBelow(Integer.MAX_VALUE);
            List<T> items = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                items.add(item.get());
            }
            return items;
        }

        private void requireExhausted() {
            for (ColumnReader.Columns columns : records) {
                columns.requireExhausted();
            }
            for (ValueColumns.Reader[] columns : values) {
                for (ValueColumns.Reader c : columns) {
                    c.requireExhausted();
                }
            }
        }
    }

    private static long micros(Instant t) {
        return MICROS.toLong(t, null, null);
    }

    private static Instant instant(long micros) {
        return MICROS.fromLong(micros, null, null);
    }

    private static List<Object> orEmpty(List<Object> values) {
        return values == null ? List.of() : values;
    }
}
