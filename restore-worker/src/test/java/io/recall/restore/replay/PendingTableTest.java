package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingTableTest {

    private static final Object T = Change.UNCHANGED_TOAST;

    /** docs(id key, body, v) with a primary key. */
    private final SourceRelation docs = new SourceRelation(
            1,
            "public",
            "docs",
            'd',
            List.of(
                    new SourceRelation.Column("id", 23, true),
                    new SourceRelation.Column("body", 25, false),
                    new SourceRelation.Column("v", 23, false)));

    /** events(at, payload), REPLICA IDENTITY FULL: every column is key, no uniqueness. */
    private final SourceRelation events = new SourceRelation(
            2,
            "public",
            "events",
            'f',
            List.of(new SourceRelation.Column("at", 1184, true), new SourceRelation.Column("payload", 25, true)));

    private static Object[] row(Object... v) {
        return v;
    }

    /** A key-changing UPDATE of docs: 'K' old key tuple plus the new row. */
    private static void move(PendingTable p, String from, String to, Object body, Object v) {
        p.update(row(from, null, null), true, row(to, body, v));
    }

    private static List<String> rows(List<Object[]> images) {
        return images.stream().map(Arrays::toString).toList();
    }

    private static List<String> keys(List<RowKey> keys) {
        return keys.stream().map(RowKey::toString).toList();
    }

    @Test
    void anInsertFollowedByUpdatesIsOneInsertOfTheFinalImage() {
        PendingTable p = new PendingTable(docs);
        p.insert(row("1", "hello", "0"));
        p.update(null, false, row("1", T, "1"));
        p.update(null, false, row("1", T, "2"));
        PendingTable.Plan plan = p.drain();
        assertThat(rows(plan.inserts())).containsExactly("[1, hello, 2]");
        assertThat(plan.updates()).isEmpty();
        assertThat(plan.deletes()).isEmpty();
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.drain().isEmpty()).isTrue();
    }

    @Test
    void updatesOfAnExistingRowCollapseAndKeepUnchangedToastUntouched() {
        PendingTable p = new PendingTable(docs);
        p.update(null, false, row("7", T, "1"));
        p.update(null, false, row("7", T, "2"));
        p.update(null, false, row("8", "new body", "1"));
        p.update(null, false, row("8", T, "5"));
        PendingTable.Plan plan = p.drain();
        assertThat(rows(plan.updates())).containsExactly("[7, <unchanged toast>, 2]", "[8, new body, 5]");
        assertThat(plan.inserts()).isEmpty();
    }

    @Test
    void insertThenDeleteLeavesNothingAndDeleteThenInsertReplacesTheRow() {
        PendingTable p = new PendingTable(docs);
        p.insert(row("1", "a", "0"));
        p.delete(row("1", null, null), true);
        p.delete(row("2", null, null), true);
        p.insert(row("2", "b", "0"));
        PendingTable.Plan plan = p.drain();
        assertThat(keys(plan.deletes())).containsExactly("[2]");
        assertThat(rows(plan.inserts())).containsExactly("[2, b, 0]");
    }

    @Test
    void aKeyChangeOfAnExistingRowIsAMoveThatKeepsItsOrigin() {
        PendingTable p = new PendingTable(docs);
        move(p, "5", "50", T, "1");
        PendingTable.Plan plan = p.drain();
        assertThat(plan.moves()).hasSize(1);
        assertThat(plan.moves().get(0).origin().toString()).isEqualTo("[5]");
        assertThat(Arrays.toString(plan.moves().get(0).image())).isEqualTo("[50, <unchanged toast>, 1]");
        assertThat(plan.deletes()).isEmpty();
        assertThat(plan.updates()).isEmpty();
    }

    @Test
    void aRowMovedAwayAndBackIsAnUpdateInPlace() {
        PendingTable p = new PendingTable(docs);
        move(p, "5", "50", T, "1");
        move(p, "50", "5", T, "2");
        PendingTable.Plan plan = p.drain();
        assertThat(plan.moves()).isEmpty();
        assertThat(rows(plan.updates())).containsExactly("[5, <unchanged toast>, 2]");
    }

    @Test
    void swappingKeysThroughATemporaryKeyIsTwoMoves() {
        PendingTable p = new PendingTable(docs);
        move(p, "1", "100", "one", "0");
        move(p, "2", "1", "two", "0");
        move(p, "100", "2", T, "0");
        PendingTable.Plan plan = p.drain();
        assertThat(plan.moves())
                .extracting(m -> m.origin().toString() + "->" + Arrays.toString(m.image()))
                .containsExactlyInAnyOrder("[2]->[1, two, 0]", "[1]->[2, one, 0]");
    }

    @Test
    void aMovedRowThatIsDeletedDeletesItsOrigin() {
        PendingTable p = new PendingTable(docs);
        move(p, "1", "10", "x", "0");
        p.delete(row("10", null, null), true);
        PendingTable.Plan plan = p.drain();
        assertThat(keys(plan.deletes())).containsExactly("[1]");
        assertThat(plan.moves()).isEmpty();
        assertThat(plan.inserts()).isEmpty();
    }

    @Test
    void anUnchangedToastKeyColumnTakesItsValueFromTheOldKey() {
        PendingTable p = new PendingTable(docs);
        p.update(row("9", null, null), true, row(T, "b", "1"));
        assertThat(rows(p.drain().updates())).containsExactly("[9, b, 1]");
    }

    @Test
    void contradictionsWithTheTargetFail() {
        PendingTable p = new PendingTable(docs);
        p.insert(row("1", "a", "0"));
        assertThatThrownBy(() -> p.insert(row("1", "b", "0")))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("which a row already has");
        p.delete(row("3", null, null), true);
        assertThatThrownBy(() -> p.update(null, false, row("3", "x", "0")))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("deleted before");
        assertThatThrownBy(() -> p.delete(row("3", null, null), true))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("deleted before");
        assertThatThrownBy(() -> p.update(null, false, row(T, "x", "0")))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("no old key");
    }

    @Test
    void fullIdentityRowsAreAMultiset() {
        PendingTable p = new PendingTable(events);
        p.insert(row("t1", "a"));
        p.insert(row("t1", "a")); // two equal rows
        p.delete(row("t1", "a"), false); // one of the new ones
        p.delete(row("t0", "z"), false); // a pre-existing row
        p.delete(row("t0", "z"), false); // its twin
        p.update(row("t2", "old"), false, row("t2", "new")); // pre-existing row changed
        PendingTable.Plan plan = p.drain();
        assertThat(rows(plan.inserts())).containsExactlyInAnyOrder("[t1, a]", "[t2, new]");
        assertThat(plan.removals())
                .extracting(r -> Arrays.toString(r.image()) + "x" + r.count())
                .containsExactlyInAnyOrder("[t0, z]x2", "[t2, old]x1");
        assertThat(plan.updates()).isEmpty();
        assertThat(plan.moves()).isEmpty();
    }

    @Test
    void fullIdentityUpdatesTakeUnchangedToastFromTheOldRow() {
        PendingTable p = new PendingTable(events);
        p.update(row("t", "long payload"), false, row("t2", T));
        PendingTable.Plan plan = p.drain();
        assertThat(rows(plan.inserts())).containsExactly("[t2, long payload]");
        assertThat(plan.removals()).extracting(r -> Arrays.toString(r.image())).containsExactly("[t, long payload]");
    }

    @Test
    void rowsOfATableWithoutReplicaIdentityCanOnlyBeInserted() {
        SourceRelation log =
                new SourceRelation(3, "public", "log", 'd', List.of(new SourceRelation.Column("line", 25, false)));
        PendingTable p = new PendingTable(log);
        p.insert(row("x"));
        p.insert(row("x"));
        assertThat(p.drain().inserts()).hasSize(2);
        assertThatThrownBy(() -> p.delete(row("x"), false))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("no replica identity");
    }

    @Test
    void truncateForgetsEverythingPending() {
        PendingTable p = new PendingTable(docs);
        p.insert(row("1", "a", "0"));
        p.delete(row("2", null, null), true);
        assertThat(p.approximateBytes()).isPositive();
        p.clear();
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.approximateBytes()).isZero();
        assertThat(p.drain().isEmpty()).isTrue();
    }
}
