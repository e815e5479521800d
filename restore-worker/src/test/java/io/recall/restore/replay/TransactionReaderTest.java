package io.recall.restore.replay;

import static io.recall.worker.capture.PgOutputStream.TOAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.schemas.change.TransactionChunk;
import io.recall.worker.capture.PgOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransactionReaderTest {

    private static final Instant AT = Instant.parse("2026-11-23T10:00:00Z");
    private static final Cutoff ALL = new Cutoff(new Lsn(Long.MAX_VALUE), new RestoreTarget.Latest());

    private static PgOutputStream stream(int maxChunkBytes) {
        return new PgOutputStream(maxChunkBytes)
                .relation(10, "public", "docs", 'd', "id*", "body", "v")
                .relation(11, "public", "events", 'f', "at*", "payload*");
    }

    /** Three transactions; the second is cut into several chunks. */
    private static List<TransactionChunk> threeTransactions() {
        PgOutputStream s = stream(1024);
        s.begin(0x100, 501, AT).insert(10, "1", "one", "0").commit();
        s.begin(0x200, 502, AT.plusSeconds(1));
        for (int i = 0; i < 40; i++) {
            s.insert(10, Integer.toString(100 + i), "row " + i + " " + "x".repeat(40), Integer.toString(i));
        }
        s.commit();
        s.begin(0x300, 503, AT.plusSeconds(2)).update(10, "1", TOAST, "1").commit();
        return s.chunks();
    }

    /** Reads everything: one line per transaction with its changes. */
    private static List<String> read(List<TransactionChunk> chunks, Lsn startAt, Cutoff cutoff) {
        TransactionReader reader = new TransactionReader(chunks.iterator(), startAt, cutoff);
        List<String> out = new ArrayList<>();
        TransactionReader.Transaction tx;
        while ((tx = reader.next()) != null) {
            StringBuilder b = new StringBuilder(tx.commitLsn() + " xid " + tx.xid() + ":");
            Change c;
            while ((c = tx.nextChange()) != null) {
                b.append(' ')
                        .append(c.kind())
                        .append(
                                c.newValues() == null
                                        ? ""
                                        : List.of(c.newValues()).toString());
            }
            out.add(b.toString());
        }
        return out;
    }

    @Test
    void deliversWholeTransactionsInOrderWithMarkersForUnchangedToast() {
        List<TransactionChunk> chunks = threeTransactions();
        assertThat(chunks.stream().filter(c -> c.getCommitLsn() == 0x200).count())
                .as("the second transaction spans chunks")
                .isGreaterThan(2);
        List<String> txs = read(chunks, Lsn.INVALID, ALL);
        assertThat(txs).hasSize(3);
        assertThat(txs.get(0)).isEqualTo("0/100 xid 501: INSERT[1, one, 0]");
        assertThat(txs.get(1)).startsWith("0/200 xid 502: INSERT[100, row 0 ");
        assertThat(txs.get(1).split("INSERT")).hasSize(41);
        assertThat(txs.get(2)).isEqualTo("0/300 xid 503: UPDATE[1, <unchanged toast>, 1]");
    }

    @Test
    void repeatedAndOverlappingChunksAreDeliveredOnce() {
        List<TransactionChunk> chunks = threeTransactions();
        List<TransactionChunk> messy = new ArrayList<>();
        messy.addAll(chunks.subList(0, 3)); // tx 0x100 and the first two chunks of 0x200
        messy.addAll(chunks.subList(0, 3)); // a retried batch
        messy.add(chunks.get(1)); // a single repeated record
        messy.addAll(chunks.subList(3, chunks.size())); // the rest
        messy.addAll(chunks); // an overlapping segment that repeats everything
        assertThat(read(messy, Lsn.INVALID, ALL)).isEqualTo(read(chunks, Lsn.INVALID, ALL));

        TransactionReader reader = new TransactionReader(messy.iterator(), Lsn.INVALID, ALL);
        while (reader.next() != null) {
            // skip through
        }
        assertThat(reader.transactionsDelivered()).isEqualTo(3);
        assertThat(reader.chunksSkipped()).isEqualTo(messy.size() - chunks.size());
        assertThat(reader.lastDelivered().orElseThrow().commitLsn()).isEqualTo(new Lsn(0x300));
    }

    @Test
    void startsAtTheConsistentPointAndStopsAtTheCutoff() {
        List<TransactionChunk> chunks = threeTransactions();
        assertThat(read(chunks, new Lsn(0x200), ALL))
                .hasSize(2)
                .first()
                .asString()
                .startsWith("0/200");
        assertThat(read(chunks, new Lsn(0x101), ALL)).hasSize(2);
        Cutoff upTo200 = new Cutoff(new Lsn(0x201), new RestoreTarget.AtLsn(new Lsn(0x200), true));
        assertThat(read(chunks, Lsn.INVALID, upTo200))
                .hasSize(2)
                .last()
                .asString()
                .startsWith("0/200");
        Cutoff before200 = new Cutoff(new Lsn(0x200), new RestoreTarget.AtLsn(new Lsn(0x200), false));
        assertThat(read(chunks, Lsn.INVALID, before200)).hasSize(1);
    }

    @Test
    void aMissingChunkOrATruncatedStreamFails() {
        List<TransactionChunk> chunks = threeTransactions();
        int second = indexOf(chunks, 0x200, 1);
        List<TransactionChunk> gap = new ArrayList<>(chunks);
        gap.remove(second);
        assertThatThrownBy(() -> read(gap, Lsn.INVALID, ALL))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("0/200")
                .hasMessageContaining("incomplete")
                .hasMessageContaining("chunk 1 expected");

        List<TransactionChunk> cut = chunks.subList(0, indexOf(chunks, 0x200, 2));
        assertThatThrownBy(() -> read(cut, Lsn.INVALID, ALL))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("the stream ends");

        List<TransactionChunk> nextStartsEarly = new ArrayList<>(chunks.subList(0, indexOf(chunks, 0x200, 2)));
        nextStartsEarly.add(chunks.get(chunks.size() - 1)); // the transaction at 0x300
        assertThatThrownBy(() -> read(nextStartsEarly, Lsn.INVALID, ALL))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("of the transaction that committed at 0/300 follows");

        List<TransactionChunk> headless = new ArrayList<>(chunks);
        headless.remove(indexOf(chunks, 0x200, 0));
        assertThatThrownBy(() -> read(headless, Lsn.INVALID, ALL))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("starts with chunk 1");
    }

    @Test
    void twoDifferentCutsOfOneTransactionAreRejected() {
        List<TransactionChunk> chunks = threeTransactions();
        TransactionChunk original = chunks.get(indexOf(chunks, 0x200, 0));
        TransactionChunk recut = TransactionChunk.newBuilder(original)
                .setChanges(original.getChanges().subList(0, 1))
                .build();
        List<TransactionChunk> mixed = new ArrayList<>(chunks.subList(0, indexOf(chunks, 0x200, 2)));
        mixed.add(recut);
        mixed.addAll(chunks.subList(indexOf(chunks, 0x200, 2), chunks.size()));
        assertThatThrownBy(() -> read(mixed, Lsn.INVALID, ALL))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("two different cuts");
    }

    /** The fingerprint of a consumed chunk covers its values, not only its size: the 60th change differs here. */
    @Test
    void aRepeatedChunkWithAsManyChangesButOtherValuesIsRejected() {
        PgOutputStream s = stream(1 << 20);
        s.begin(0x200, 502, AT);
        for (int i = 0; i < 60; i++) {
            s.insert(10, Integer.toString(100 + i), "row " + i, Integer.toString(i));
        }
        s.commit();
        s.begin(0x300, 503, AT.plusSeconds(2)).insert(10, "1", "one", "0").commit();
        List<TransactionChunk> chunks = s.chunks();
        TransactionChunk original = chunks.get(indexOf(chunks, 0x200, 0));
        List<io.recall.schemas.change.RowChange> changes = new ArrayList<>(original.getChanges());
        io.recall.schemas.change.RowChange last = changes.getLast();
        List<Object> values = new ArrayList<>(last.getNewValues());
        values.set(1, "another value");
        changes.set(
                changes.size() - 1,
                io.recall.schemas.change.RowChange.newBuilder(last)
                        .setNewValues(values)
                        .build());
        TransactionChunk recut =
                TransactionChunk.newBuilder(original).setChanges(changes).build();

        // the transaction's one chunk, then the other cut of it, as a capture that sent it again would
        List<TransactionChunk> mixed = new ArrayList<>(chunks.subList(0, indexOf(chunks, 0x200, 0)));
        mixed.add(TransactionChunk.newBuilder(recut).setLastChunk(false).build());
        mixed.add(TransactionChunk.newBuilder(original).setLastChunk(false).build());
        assertThatThrownBy(() -> read(mixed, Lsn.INVALID, ALL))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("two different cuts");
    }

    @Test
    void relationDefinitionsCompareLikeAvrosEquals() {
        io.recall.schemas.change.RelationDef def =
                threeTransactions().getFirst().getRelations().getFirst();
        io.recall.schemas.change.RelationDef copy =
                io.recall.schemas.change.RelationDef.newBuilder(def).build();
        assertThat(TransactionReader.sameDefinition(def, copy)).isTrue().isEqualTo(def.equals(copy));
        List<java.util.function.UnaryOperator<io.recall.schemas.change.ColumnDef>> columnChanges = List.of(
                c -> io.recall.schemas.change.ColumnDef.newBuilder(c)
                        .setName(c.getName() + "x")
                        .build(),
                c -> io.recall.schemas.change.ColumnDef.newBuilder(c)
                        .setTypeOid(c.getTypeOid() + 1)
                        .build(),
                c -> io.recall.schemas.change.ColumnDef.newBuilder(c)
                        .setTypeModifier(c.getTypeModifier() + 1)
                        .build(),
                c -> io.recall.schemas.change.ColumnDef.newBuilder(c)
                        .setKey(!c.getKey())
                        .build(),
                c -> io.recall.schemas.change.ColumnDef.newBuilder(c)
                        .setTypeName("public.other")
                        .build());
        for (var change : columnChanges) {
            List<io.recall.schemas.change.ColumnDef> columns = new ArrayList<>(def.getColumns());
            columns.set(columns.size() - 1, change.apply(columns.getLast()));
            io.recall.schemas.change.RelationDef other = io.recall.schemas.change.RelationDef.newBuilder(def)
                    .setColumns(columns)
                    .build();
            assertThat(TransactionReader.sameDefinition(def, other)).isFalse().isEqualTo(def.equals(other));
        }
        for (io.recall.schemas.change.RelationDef other : List.of(
                io.recall.schemas.change.RelationDef.newBuilder(def)
                        .setTable("other")
                        .build(),
                io.recall.schemas.change.RelationDef.newBuilder(def)
                        .setSchema$("other")
                        .build(),
                io.recall.schemas.change.RelationDef.newBuilder(def)
                        .setReplicaIdentity("f")
                        .build(),
                io.recall.schemas.change.RelationDef.newBuilder(def)
                        .setColumns(def.getColumns().subList(0, 1))
                        .build())) {
            assertThat(TransactionReader.sameDefinition(def, other)).isFalse().isEqualTo(def.equals(other));
        }
    }

    @Test
    void largeValuesAreReassembledFromTheirParts() {
        String big = "ab\tc\\d\n".repeat(3000) + "é😀";
        String bigOld = "old".repeat(4000);
        PgOutputStream s = stream(2048);
        s.begin(0x100, 1, AT)
                .insert(10, "1", "small", "0")
                .insert(10, "2", big, "0")
                .insert(10, "3", "after", "0")
                .commit();
        s.begin(0x200, 2, AT).deleteFull(11, "now", bigOld).commit();
        List<TransactionChunk> chunks = s.chunks();
        assertThat(chunks.stream().mapToInt(c -> c.getLargeValueParts().size()).sum())
                .as("the capture split the values into parts")
                .isGreaterThan(10);

        TransactionReader reader = new TransactionReader(chunks.iterator(), Lsn.INVALID, ALL);
        TransactionReader.Transaction tx = reader.next();
        List<Object[]> rows = new ArrayList<>();
        Change c;
        while ((c = tx.nextChange()) != null) {
            rows.add(c.newValues());
        }
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1)[1]).isEqualTo(big);
        assertThat(rows.get(2)[1]).isEqualTo("after");
        tx = reader.next();
        Change delete = tx.nextChange();
        assertThat(delete.kind()).isEqualTo(Change.Kind.DELETE);
        assertThat(delete.oldValues()[1]).isEqualTo(bigOld);
        assertThat(tx.nextChange()).isNull();
        assertThat(reader.next()).isNull();

        // repeats of part-only chunks are skipped like any other
        List<TransactionChunk> twice = new ArrayList<>(chunks.subList(0, 5));
        twice.addAll(chunks);
        TransactionReader again = new TransactionReader(twice.iterator(), Lsn.INVALID, ALL);
        TransactionReader.Transaction first = again.next();
        first.nextChange();
        assertThat(first.nextChange().newValues()[1]).isEqualTo(big);
    }

    @Test
    void logicalMessagesAreLeftOutAndTruncatesCarryTheirTables() {
        PgOutputStream s = stream(4096);
        s.message(false, "outside", "x");
        s.begin(0x100, 1, AT)
                .message(true, "app", "hello")
                .truncate(true, true, 10, 11)
                .insert(10, "1", null, "2")
                .commit();
        TransactionReader reader = new TransactionReader(s.chunks().iterator(), Lsn.INVALID, ALL);
        TransactionReader.Transaction tx = reader.next();
        Change t = tx.nextChange();
        assertThat(t.kind()).isEqualTo(Change.Kind.TRUNCATE);
        assertThat(t.truncated()).extracting(SourceRelation::table).containsExactly("docs", "events");
        assertThat(t.truncateCascade()).isTrue();
        assertThat(t.truncateRestartIdentity()).isTrue();
        Change i = tx.nextChange();
        assertThat(i.newValues()).containsExactly("1", null, "2");
        assertThat(i.relation().keyIndexes()).containsExactly(0);
        assertThat(i.relation().hasUniqueKey()).isTrue();
        assertThat(tx.nextChange()).isNull();
        assertThat(reader.next()).isNull();
        assertThat(reader.transactionsDelivered()).isEqualTo(1);
    }

    @Test
    void headersListEveryCommitOnce() {
        List<TransactionChunk> chunks = threeTransactions();
        List<CommitHeader> headers = new ArrayList<>();
        TransactionReader.headers(chunks.iterator()).forEachRemaining(headers::add);
        assertThat(headers)
                .extracting(h -> h.commitLsn().value(), CommitHeader::xid)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(0x100L, 501L),
                        org.assertj.core.groups.Tuple.tuple(0x200L, 502L),
                        org.assertj.core.groups.Tuple.tuple(0x300L, 503L));
    }

    private static int indexOf(List<TransactionChunk> chunks, long lsn, int chunkIndex) {
        for (int i = 0; i < chunks.size(); i++) {
            if (chunks.get(i).getCommitLsn() == lsn && chunks.get(i).getChunkIndex() == chunkIndex) {
                return i;
            }
        }
        throw new AssertionError("no chunk " + chunkIndex + " at " + lsn);
    }
}
