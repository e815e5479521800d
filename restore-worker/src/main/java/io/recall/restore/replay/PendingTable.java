package io.recall.restore.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The changes to one table that are not yet written, collapsed so that each row is written once per flush with its
 * final image. Pure logic; not thread-safe.
 *
 * <h2>Tables with a unique key</h2>
 *
 * (REPLICA IDENTITY DEFAULT with a primary key, or INDEX.) State is kept relative to the target as it was at the last
 * flush ("pre-existing" rows):
 *
 * <ul>
 *   <li>{@code current}: every row touched since, under its current key, with its latest image and its
 *       <em>origin</em> — the key the pre-existing row it descends from had, or none for a row inserted since;
 *   <li>{@code deleted}: keys of pre-existing rows that are gone.
 * </ul>
 *
 * An UPDATE's image is merged with the row's earlier image: a column marked unchanged-TOAST takes the earlier value;
 * when there is none (the row is pre-existing) the marker stays and the column is left untouched in the target. A
 * key-changing UPDATE moves the entry to the new key and keeps its origin, so a row that moves back is again an
 * in-place update. {@link #drain()} turns the state into a {@link Plan}: deletes of gone keys and of moved rows'
 * origins, in-place updates, and inserts (new rows and moved rows, whose markers the writer fills from the target
 * before deleting their origins).
 *
 * <h2>Tables without a unique key</h2>
 *
 * (REPLICA IDENTITY FULL, or no key at all, which publishes inserts only.) Rows are a multiset of whole images: equal
 * rows are interchangeable. An INSERT adds an image, a DELETE removes one — one inserted since the last flush if
 * there is one, else one pre-existing row — and an UPDATE is a DELETE of the old image plus an INSERT of the new one
 * (unchanged-TOAST columns take the old image's values; FULL identity sends the old row whole).
 */
final class PendingTable {

    /** A row touched since the last flush. */
    static final class Entry {
        Object[] image;
        final RowKey origin;

        Entry(Object[] image, RowKey origin) {
            this.image = image;
            this.origin = origin;
        }
    }

    /** A pre-existing row that moved to another key: delete at {@code origin}, insert {@code image}. */
    record Move(RowKey origin, Object[] image) {}

    /** A whole image to delete {@code count} times (tables without a unique key). */
    record Removal(Object[] image, int count) {}

    /** What a flush writes, in this order: deletes, removals, in-place updates, inserts and moves. */
    record Plan(
            List<RowKey> deletes,
            List<Move> moves,
            List<Object[]> updates,
            List<Object[]> inserts,
            List<Removal> removals) {

        boolean isEmpty() {
            return deletes.isEmpty() && moves.isEmpty() && updates.isEmpty() && inserts.isEmpty() && removals.isEmpty();
        }
    }

    private static final int ENTRY_OVERHEAD = 96;
    private static final int VALUE_OVERHEAD = 48;

    private final SourceRelation relation;
    private final boolean keyed;

    private final LinkedHashMap<RowKey, Entry> current = new LinkedHashMap<>();
    private final LinkedHashSet<RowKey> deleted = new LinkedHashSet<>();
    private final LinkedHashMap<RowKey, int[]> inserted = new LinkedHashMap<>();
    private final LinkedHashMap<RowKey, int[]> removed = new LinkedHashMap<>();
    private long bytes;
    private long changes;

    PendingTable(SourceRelation relation) {
        this.relation = relation;
        this.keyed = relation.hasUniqueKey();
    }

    SourceRelation relation() {
        return relation;
    }

    /** An estimate of the memory the pending state holds (only grows until the next drain). */
    long approximateBytes() {
        return bytes;
    }

    /** Changes taken since the last drain. */
    long changes() {
        return changes;
    }

    boolean isEmpty() {
        return current.isEmpty() && deleted.isEmpty() && inserted.isEmpty() && removed.isEmpty();
    }

    void insert(Object[] row) {
        changes++;
        requireNoMarker(row, "an INSERT");
        account(row);
        if (!keyed) {
            inserted.computeIfAbsent(RowKey.wholeRow(row), k -> new int[1])[0]++;
            return;
        }
        RowKey key = RowKey.of(row, relation);
        if (current.containsKey(key)) {
            throw conflict("an INSERT of key " + key + ", which a row already has");
        }
        current.put(key, new Entry(row, null));
    }

    void update(Object[] oldValues, boolean oldIsKey, Object[] newValues) {
        changes++;
        account(newValues);
        if (!keyed) {
            Object[] old = wholeOldRow(oldValues, oldIsKey, "an UPDATE");
            for (int i = 0; i < newValues.length; i++) {
                if (Change.isUnchanged(newValues[i])) {
                    newValues[i] = old[i];
                }
            }
            requireNoMarker(newValues, "an UPDATE's new row");
            remove(old);
            inserted.computeIfAbsent(RowKey.wholeRow(newValues), k -> new int[1])[0]++;
            return;
        }
        RowKey oldKey = oldValues != null ? key(oldValues, "old") : key(newValues, "new");
        for (int i = 0; i < relation.keyCount(); i++) {
            int c = relation.keyIndex(i);
            if (Change.isUnchanged(newValues[c])) {
                newValues[c] = oldKey.value(i); // a TOASTed key column the UPDATE did not change
            }
        }
        RowKey newKey = RowKey.of(newValues, relation);
        Entry e = current.remove(oldKey);
        if (e == null) {
            if (deleted.contains(oldKey)) {
                throw conflict("an UPDATE of key " + oldKey + ", whose row was deleted before");
            }
            e = new Entry(newValues, oldKey);
        } else {
            Object[] earlier = e.image;
            for (int i = 0; i < newValues.length; i++) {
                if (Change.isUnchanged(newValues[i])) {
                    newValues[i] = earlier[i];
                }
            }
            e.image = newValues;
        }
        if (current.containsKey(newKey)) {
            throw conflict("an UPDATE that moves key " + oldKey + " to " + newKey + ", which a row already has");
        }
        current.put(newKey, e);
    }

    void delete(Object[] oldValues, boolean oldIsKey) {
        changes++;
        if (!keyed) {
            remove(wholeOldRow(oldValues, oldIsKey, "a DELETE"));
            return;
        }
        RowKey key = key(oldValues, "old");
        Entry e = current.remove(key);
        if (e == null) {
            if (!deleted.add(key)) {
                throw conflict("a DELETE of key " + key + ", whose row was deleted before");
            }
        } else if (e.origin != null) {
            deleted.add(e.origin);
        }
    }

    /** Forgets everything pending: the table is being truncated. */
    void clear() {
        current.clear();
        deleted.clear();
        inserted.clear();
        removed.clear();
        bytes = 0;
    }

    /** The writes that bring the target up to date, and an empty state. */
    Plan drain() {
        List<RowKey> deletes = new ArrayList<>(deleted);
        List<Move> moves = new ArrayList<>();
        List<Object[]> updates = new ArrayList<>();
        List<Object[]> inserts = new ArrayList<>();
        List<Removal> removals = new ArrayList<>();
        for (Map.Entry<RowKey, Entry> en : current.entrySet()) {
            Entry e = en.getValue();
            if (e.origin == null) {
                inserts.add(e.image);
            } else if (e.origin.equals(en.getKey())) {
                updates.add(e.image);
            } else {
                moves.add(new Move(e.origin, e.image));
            }
        }
        for (Map.Entry<RowKey, int[]> en : removed.entrySet()) {
            removals.add(new Removal(en.getKey().values(), en.getValue()[0]));
        }
        for (Map.Entry<RowKey, int[]> en : inserted.entrySet()) {
            for (int i = 0; i < en.getValue()[0]; i++) {
                inserts.add(en.getKey().values());
            }
        }
        clear();
        changes = 0;
        return new Plan(deletes, moves, updates, inserts, removals);
    }

    private void remove(Object[] old) {
        RowKey k = RowKey.wholeRow(old);
        int[] n = inserted.get(k);
        if (n != null) {
            if (--n[0] == 0) {
                inserted.remove(k);
            }
            return;
        }
        removed.computeIfAbsent(k, x -> new int[1])[0]++;
    }

    private Object[] wholeOldRow(Object[] oldValues, boolean oldIsKey, String what) {
        if (!relation.isFullIdentity()) {
            throw new ReplayStreamException(what + " on " + relation.displayName()
                    + ", which has no replica identity to find the row by (replica identity "
                    + relation.replicaIdentity() + ", no key columns)");
        }
        if (oldValues == null || oldIsKey) {
            throw new ReplayStreamException(
                    what + " on " + relation.displayName() + " (REPLICA IDENTITY FULL) without the whole old row");
        }
        requireNoMarker(oldValues, what + "'s old row");
        return oldValues;
    }

    private RowKey key(Object[] row, String which) {
        RowKey k = RowKey.of(row, relation);
        if (k.containsUnchangedToast()) {
            throw new ReplayStreamException("a change on " + relation.displayName() + " has an unchanged-TOAST value in"
                    + " its " + which + " key and no old key to take it from");
        }
        return k;
    }

    private void requireNoMarker(Object[] row, String what) {
        for (int i = 0; i < row.length; i++) {
            if (Change.isUnchanged(row[i])) {
                throw new ReplayStreamException(what + " on " + relation.displayName() + " has no value for column "
                        + relation.columns().get(i).name() + " (unchanged TOAST with nothing to take it from)");
            }
        }
    }

    private void account(Object[] row) {
        long b = ENTRY_OVERHEAD;
        for (Object v : row) {
            b += VALUE_OVERHEAD + (v instanceof String s ? 2L * s.length() : 0);
        }
        bytes += b;
    }

    private ReplayStreamException conflict(String what) {
        return new ReplayStreamException("replay of " + relation.displayName() + " met " + what
                + ": the stream does not match the base backup it is replayed onto");
    }
}
