package io.recall.common.segment;

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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Test-data builder for one source's change stream, shaped like what capture publishes for a pgbench (TPC-B like)
 * workload: every transaction updates an account, a teller and a branch and inserts a history row, all values in
 * pgoutput's text form, each chunk carrying the definitions of the relations it touches. Deterministic for a seed.
 */
final class ChangeRecords {

    static final RelationDef ACCOUNTS = relation(
            16400,
            "pgbench_accounts",
            col("aid", 23, true),
            col("bid", 23, false),
            col("abalance", 23, false),
            col("filler", 1042, false));
    static final RelationDef TELLERS = relation(
            16401,
            "pgbench_tellers",
            col("tid", 23, true),
            col("bid", 23, false),
            col("tbalance", 23, false),
            col("filler", 1042, false));
    static final RelationDef BRANCHES = relation(
            16402, "pgbench_branches", col("bid", 23, true), col("bbalance", 23, false), col("filler", 1042, false));
    static final RelationDef HISTORY = relation(
            16403,
            "pgbench_history",
            col("tid", 23, false),
            col("bid", 23, false),
            col("aid", 23, false),
            col("delta", 23, false),
            col("mtime", 1114, false),
            col("filler", 1042, false));

    private final SourceId source;
    private final Random random;
    private long lsn = 0x1_6B3_7480L;
    private long xid = 74_210;
    private Instant time = Instant.parse("2026-11-23T10:00:00.000001Z");
    private final int[] branchBalance = new int[10];
    private final int[] tellerBalance = new int[100];

    ChangeRecords(SourceId source, long seed) {
        this.source = source;
        this.random = new Random(seed);
    }

    SourceId source() {
        return source;
    }

    /** The next pgbench transaction, in one chunk. */
    ChangeEnvelope pgbenchTransaction() {
        int aid = 1 + random.nextInt(1_000_000);
        int bid = 1 + random.nextInt(10);
        int tid = 1 + random.nextInt(100);
        int delta = random.nextInt(10_001) - 5000;
        branchBalance[bid - 1] += delta;
        tellerBalance[tid - 1] += delta;
        advance();
        List<RowChange> changes = List.of(
                update(ACCOUNTS, text(aid), text(bid), text(random.nextInt(200_001) - 100_000), pad(84)),
                update(TELLERS, text(tid), text(bid), text(tellerBalance[tid - 1]), pad(84)),
                update(BRANCHES, text(bid), text(branchBalance[bid - 1]), pad(88)),
                insert(HISTORY, text(tid), text(bid), text(aid), text(delta), timestamp(time), null));
        return chunk(List.of(ACCOUNTS, TELLERS, BRANCHES, HISTORY), changes, 0, true);
    }

    /**
     * A transaction of {@code chunks} chunks of {@code rowsPerChunk} inserts each; all chunks share the commit LSN.
     */
    List<ChangeEnvelope> largeTransaction(int chunks, int rowsPerChunk) {
        advance();
        List<ChangeEnvelope> out = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            List<RowChange> changes = new ArrayList<>();
            for (int r = 0; r < rowsPerChunk; r++) {
                changes.add(insert(
                        HISTORY,
                        text(1 + random.nextInt(100)),
                        text(1),
                        text(random.nextInt(1_000_000)),
                        text(random.nextInt(100)),
                        timestamp(time),
                        null));
            }
            out.add(chunk(List.of(HISTORY), changes, c, c == chunks - 1));
        }
        return out;
    }

    /** A heartbeat at the current position. */
    ChangeEnvelope heartbeat() {
        lsn += 56;
        time = time.plusMillis(1000);
        return envelope(new Heartbeat(lsn, time));
    }

    /** Sequence values read at the current position. */
    ChangeEnvelope sequences() {
        return envelope(new SequenceValues(
                lsn + 24,
                time.plusMillis(3),
                List.of(new SequenceValue("public", "pgbench_history_seq", 1000L + xid, true))));
    }

    /** Commit LSN the next transaction would not go below. */
    Lsn position() {
        return new Lsn(lsn);
    }

    private void advance() {
        lsn += 400 + random.nextInt(200);
        xid++;
        time = time.plus(500 + random.nextInt(4000), ChronoUnit.MICROS);
    }

    private ChangeEnvelope chunk(List<RelationDef> relations, List<RowChange> changes, int index, boolean last) {
        return envelope(TransactionChunk.newBuilder()
                .setXid(xid)
                .setCommitLsn(lsn)
                .setCommitTime(time)
                .setChunkIndex(index)
                .setLastChunk(last)
                .setEndLsn(last ? lsn + 48 : 0)
                .setRelations(relations)
                .setChanges(changes)
                .setLargeValueParts(List.of())
                .build());
    }

    private ChangeEnvelope envelope(Object body) {
        return ChangeEnvelope.newBuilder()
                .setSourceId(source.toString())
                .setCaptureEpoch(1)
                .setBody(body)
                .build();
    }

    private static RowChange update(RelationDef relation, Object... values) {
        return RowChange.newBuilder()
                .setOp(Op.UPDATE)
                .setRelationId(relation.getRelationId())
                .setNewValues(Arrays.asList(values))
                .build();
    }

    private static RowChange insert(RelationDef relation, Object... values) {
        return RowChange.newBuilder()
                .setOp(Op.INSERT)
                .setRelationId(relation.getRelationId())
                .setNewValues(Arrays.asList(values))
                .build();
    }

    private static String text(int v) {
        return Integer.toString(v);
    }

    private static String pad(int n) {
        return " ".repeat(n);
    }

    private static String timestamp(Instant t) {
        return t.toString().replace('T', ' ').replace("Z", "");
    }

    private static ColumnDef col(String name, int typeOid, boolean key) {
        return ColumnDef.newBuilder()
                .setName(name)
                .setTypeOid(typeOid)
                .setTypeModifier(typeOid == 1042 ? 88 : -1)
                .setKey(key)
                .build();
    }

    private static RelationDef relation(int id, String table, ColumnDef... columns) {
        return RelationDef.newBuilder()
                .setRelationId(id)
                .setSchema$("public")
                .setTable(table)
                .setReplicaIdentity("d")
                .setColumns(List.of(columns))
                .build();
    }
}
