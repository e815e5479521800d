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
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Test-data builder for one source's change stream, shaped like what capture publishes: all values in pgoutput's text
 * form, each chunk carrying the definitions of the relations it touches. Two workloads: pgbench's (TPC-B like: every
 * transaction updates an account, a teller and a branch and inserts a history row) and an order table's (wider rows of
 * text, numeric, jsonb and timestamptz: orders placed, moved through their states and deleted). Deterministic for a
 * seed.
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
    static final RelationDef ORDERS = relation(
            16500,
            "orders",
            col("id", 20, true),
            col("customer_id", 23, false),
            col("status", 25, false),
            col("total", 1700, false),
            col("currency", 1042, 7, false),
            col("items", 3802, false),
            col("note", 25, false),
            col("created_at", 1184, false),
            col("updated_at", 1184, false));

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);
    private static final List<String> NEXT_STATUS = List.of("new", "paid", "shipped", "delivered");
    private static final List<String> WORDS = List.of(
            "please leave at the door gift wrap call before delivery fragile back entrance no invoice in box ring twice"
                    .split(" "));

    private final SourceId source;
    private final Random random;
    private long lsn = 0x1_6B3_7480L;
    private long xid = 74_210;
    private Instant time = Instant.parse("2026-11-23T10:00:00.000001Z");
    private final int[] branchBalance = new int[10];
    private final int[] tellerBalance = new int[100];
    private long nextOrderId = 1_000_000;
    private final List<List<Object>> openOrders = new ArrayList<>();

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
     * The next order transaction, in one chunk: half of them place an order, most others move an open order to its
     * next state, some delete one (the old row then holds only the key).
     */
    ChangeEnvelope ordersTransaction() {
        advance();
        int kind = random.nextInt(10);
        RowChange change;
        if (kind < 5 || openOrders.isEmpty()) {
            List<Object> row = newOrder();
            openOrders.add(row);
            change = insert(ORDERS, row.toArray());
        } else {
            int i = openOrders.size() - 1 - random.nextInt(Math.min(openOrders.size(), 500));
            List<Object> row = openOrders.get(i);
            int next = NEXT_STATUS.indexOf((String) row.get(2)) + 1;
            if (kind < 9 && next < NEXT_STATUS.size()) {
                row.set(2, NEXT_STATUS.get(next));
                row.set(8, timestamptz(time));
                change = update(ORDERS, row.toArray());
            } else {
                openOrders.remove(i);
                List<Object> key = new ArrayList<>(Collections.nCopies(row.size(), null));
                key.set(0, row.get(0));
                change = RowChange.newBuilder()
                        .setOp(Op.DELETE)
                        .setRelationId(ORDERS.getRelationId())
                        .setOldValues(key)
                        .setOldIsKey(true)
                        .build();
            }
        }
        return chunk(List.of(ORDERS), List.of(change), 0, true);
    }

    private List<Object> newOrder() {
        StringBuilder items = new StringBuilder("[");
        long totalCents = 0;
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            int qty = 1 + random.nextInt(3);
            int cents = 199 + random.nextInt(20_000);
            totalCents += (long) qty * cents;
            // jsonb's text form: keys shortest first, ", " and ": " between
            items.append(i == 0 ? "" : ", ")
                    .append("{\"qty\": ")
                    .append(qty)
                    .append(", \"sku\": \"SKU-")
                    .append(10_000 + random.nextInt(90_000))
                    .append("\", \"price\": ")
                    .append(decimal(cents))
                    .append('}');
        }
        String note = null;
        if (random.nextInt(10) < 3) {
            List<String> words = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
                words.add(WORDS.get(random.nextInt(WORDS.size())));
            }
            note = String.join(" ", words);
        }
        int currency = random.nextInt(10);
        return new ArrayList<>(Arrays.asList(
                Long.toString(nextOrderId++),
                text(1 + random.nextInt(50_000)),
                NEXT_STATUS.getFirst(),
                decimal(totalCents),
                currency < 6 ? "EUR" : currency < 9 ? "USD" : "GBP",
                items.append(']').toString(),
                note,
                timestamptz(time),
                timestamptz(time)));
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

    private static String decimal(long cents) {
        return String.format(Locale.ROOT, "%d.%02d", cents / 100, cents % 100);
    }

    /** A {@code timestamp} as PostgreSQL prints it in the ISO date style: no trailing zeros in the fraction. */
    private static String timestamp(Instant t) {
        LocalDateTime local = LocalDateTime.ofInstant(t, ZoneOffset.UTC);
        String seconds = SECONDS.format(local);
        if (local.getNano() == 0) {
            return seconds;
        }
        return seconds + "."
                + String.format(Locale.ROOT, "%06d", local.getNano() / 1000).replaceAll("0+$", "");
    }

    /** A {@code timestamptz} as PostgreSQL prints it in a session whose time zone is UTC. */
    private static String timestamptz(Instant t) {
        return timestamp(t) + "+00";
    }

    private static ColumnDef col(String name, int typeOid, boolean key) {
        return col(name, typeOid, typeOid == 1042 ? 88 : -1, key);
    }

    private static ColumnDef col(String name, int typeOid, int typeModifier, boolean key) {
        return ColumnDef.newBuilder()
                .setName(name)
                .setTypeOid(typeOid)
                .setTypeModifier(typeModifier)
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
