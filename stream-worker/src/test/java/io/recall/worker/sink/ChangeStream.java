package io.recall.worker.sink;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.ColumnDef;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.SequenceValue;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-data builder for one source's change stream as capture publishes it: transactions (one or more chunks sharing
 * a commit LSN) in commit-LSN order, heartbeats and sequence snapshots between them. Each transaction inserts rows
 * into {@code public.items (id bigint, note text)}; ids count up, so a test can tell which rows arrived. Not
 * thread-safe.
 */
final class ChangeStream {

    static final RelationDef ITEMS = RelationDef.newBuilder()
            .setRelationId(16_500)
            .setSchema$("public")
            .setTable("items")
            .setReplicaIdentity("d")
            .setColumns(List.of(
                    ColumnDef.newBuilder()
                            .setName("id")
                            .setTypeOid(20)
                            .setTypeModifier(-1)
                            .setKey(true)
                            .build(),
                    ColumnDef.newBuilder()
                            .setName("note")
                            .setTypeOid(25)
                            .setTypeModifier(-1)
                            .setKey(false)
                            .build()))
            .build();

    private final SourceId source;
    private long lsn;
    private long xid = 1000;
    private long nextId = 1;
    private Instant time = Instant.parse("2026-11-23T10:00:00.000001Z");
    private String note = "x".repeat(40);
    private int randomNoteLength;
    private final java.util.Random random = new java.util.Random(7);

    ChangeStream(SourceId source, long startLsn) {
        this.source = source;
        this.lsn = startLsn;
    }

    ChangeStream(SourceId source) {
        this(source, 0x100_0000L);
    }

    SourceId source() {
        return source;
    }

    /** Makes every later row carry a note of this many characters. */
    ChangeStream noteLength(int length) {
        this.note = "x".repeat(length);
        return this;
    }

    /** Makes every later row carry a different note of this many random characters, which barely compress. */
    ChangeStream randomNotes(int length) {
        this.randomNoteLength = length;
        return this;
    }

    private String nextNote() {
        if (randomNoteLength == 0) {
            return note;
        }
        StringBuilder b = new StringBuilder(randomNoteLength);
        for (int i = 0; i < randomNoteLength; i++) {
            b.append((char) ('0' + random.nextInt(75)));
        }
        return b.toString();
    }

    /** The next transaction: one chunk of {@code rows} inserts. */
    ChangeEnvelope transaction(int rows) {
        return transaction(1, rows).getFirst();
    }

    /** The next transaction in {@code chunks} chunks of {@code rowsPerChunk} inserts. */
    List<ChangeEnvelope> transaction(int chunks, int rowsPerChunk) {
        lsn += 0x200;
        xid++;
        time = time.plusMillis(3);
        List<ChangeEnvelope> out = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            List<RowChange> changes = new ArrayList<>();
            for (int r = 0; r < rowsPerChunk; r++) {
                changes.add(RowChange.newBuilder()
                        .setOp(Op.INSERT)
                        .setRelationId(ITEMS.getRelationId())
                        .setNewValues(List.of(Long.toString(nextId++), nextNote()))
                        .build());
            }
            boolean last = c == chunks - 1;
            out.add(envelope(TransactionChunk.newBuilder()
                    .setXid(xid)
                    .setCommitLsn(lsn)
                    .setCommitTime(time)
                    .setChunkIndex(c)
                    .setLastChunk(last)
                    .setEndLsn(last ? lsn + 0x30 : 0)
                    .setRelations(List.of(ITEMS))
                    .setChanges(changes)
                    .setLargeValueParts(List.of())
                    .build()));
        }
        return out;
    }

    /** A heartbeat past everything so far. */
    ChangeEnvelope heartbeat() {
        lsn += 0x100;
        time = time.plusSeconds(1);
        return envelope(new Heartbeat(lsn, time));
    }

    /** A sequence snapshot at the current position. */
    ChangeEnvelope sequences() {
        return envelope(new SequenceValues(
                lsn + 0x10, time.plusMillis(1), List.of(new SequenceValue("public", "items_id_seq", nextId, true))));
    }

    /** The position no later transaction commits below. */
    Lsn position() {
        return new Lsn(lsn);
    }

    private ChangeEnvelope envelope(Object body) {
        return ChangeEnvelope.newBuilder()
                .setSourceId(source.toString())
                .setCaptureEpoch(1)
                .setBody(body)
                .build();
    }

    /** Avro single-object encoding, as a Kafka record value. */
    static byte[] encode(ChangeEnvelope e) {
        try {
            ByteBuffer b = e.toByteBuffer();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    /** Commit LSN of a transaction chunk, or null for other records. */
    static Lsn commitLsn(ChangeEnvelope e) {
        return e.getBody() instanceof TransactionChunk c ? new Lsn(c.getCommitLsn()) : null;
    }

    /** The row ids a record inserts. */
    static List<Long> ids(ChangeEnvelope e) {
        if (!(e.getBody() instanceof TransactionChunk c)) {
            return List.of();
        }
        return c.getChanges().stream()
                .map(ch -> Long.parseLong((String) ch.getNewValues().getFirst()))
                .toList();
    }
}
