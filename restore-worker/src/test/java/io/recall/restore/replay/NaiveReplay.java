package io.recall.restore.replay;

import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The stream worker's deliberately simple, row-at-a-time replay (copied from its tests, unchanged in approach, keys
 * compared so that their index is used): one statement per row change, each prepared and executed on its own, all in
 * one target transaction. The benchmark's baseline for what {@link ReplayEngine} does set-based.
 */
final class NaiveReplay {

    private NaiveReplay() {}

    /** Applies every transaction with commit LSN ≥ {@code fromLsn}; returns how many were applied. */
    static int apply(Connection target, List<TransactionChunk> chunks, long fromLsn) throws SQLException {
        // commit LSN -> chunks by index; duplicates (retries) collapse
        TreeMap<Long, TreeMap<Integer, TransactionChunk>> transactions = new TreeMap<>(Long::compareUnsigned);
        for (TransactionChunk c : chunks) {
            if (Long.compareUnsigned(c.getCommitLsn(), fromLsn) >= 0 && c.getXid() != 0) {
                transactions
                        .computeIfAbsent(c.getCommitLsn(), k -> new TreeMap<>())
                        .putIfAbsent(c.getChunkIndex(), c);
            }
        }
        target.setAutoCommit(false);
        int applied = 0;
        Map<String, Map<String, String>> types = new HashMap<>();
        for (TreeMap<Integer, TransactionChunk> tx : transactions.values()) {
            if (!tx.lastEntry().getValue().getLastChunk() || tx.size() != tx.lastKey() + 1) {
                throw new IllegalStateException("incomplete transaction at "
                        + tx.firstEntry().getValue().getCommitLsn());
            }
            List<LargeValuePart> pending = new ArrayList<>();
            for (TransactionChunk chunk : tx.values()) {
                Map<Integer, RelationDef> relations = new HashMap<>();
                chunk.getRelations().forEach(r -> relations.put(r.getRelationId(), r));
                List<RowChange> changes = chunk.getChanges();
                for (int i = 0; i < changes.size(); i++) {
                    RowChange change = changes.get(i);
                    List<LargeValuePart> mine = i == 0 ? pending : List.of();
                    applyChange(target, change, relations, types, mine);
                    if (i == 0) {
                        pending = new ArrayList<>();
                    }
                }
                pending.addAll(chunk.getLargeValueParts());
            }
            applied++;
        }
        target.commit();
        target.setAutoCommit(true);
        return applied;
    }

    private static void applyChange(
            Connection target,
            RowChange change,
            Map<Integer, RelationDef> relations,
            Map<String, Map<String, String>> types,
            List<LargeValuePart> parts)
            throws SQLException {
        switch (change.getOp()) {
            case TRUNCATE -> {
                List<String> names = change.getTruncatedRelations().stream()
                        .map(id -> name(relations.get(id)))
                        .toList();
                try (Statement st = target.createStatement()) {
                    st.execute("TRUNCATE " + String.join(", ", names)
                            + (change.getTruncateRestartIdentity() ? " RESTART IDENTITY" : "")
                            + (change.getTruncateCascade() ? " CASCADE" : ""));
                }
            }
            case MESSAGE -> {
                // logical messages carry no rows
            }
            case INSERT, UPDATE, DELETE -> {
                RelationDef rel = relations.get(change.getRelationId());
                Map<String, String> colTypes = types.computeIfAbsent(name(rel), n -> columnTypes(target, n));
                List<Object> newValues = resolve(change.getNewValues(), parts, false);
                List<Object> oldValues = resolve(change.getOldValues(), parts, true);
                var cols = rel.getColumns();
                List<String> sets = new ArrayList<>();
                List<String> setValues = new ArrayList<>();
                if (newValues != null) {
                    for (int c = 0; c < cols.size(); c++) {
                        if (!(newValues.get(c) instanceof UnchangedToast)) {
                            sets.add(quote(cols.get(c).getName()));
                            setValues.add(text(newValues.get(c)));
                        }
                    }
                }
                List<String> keys = new ArrayList<>();
                List<String> keyValues = new ArrayList<>();
                List<Object> identity = oldValues != null ? oldValues : newValues;
                boolean full = rel.getReplicaIdentity().equals("f");
                for (int c = 0; c < cols.size(); c++) {
                    if (cols.get(c).getKey() || full) {
                        keys.add(quote(cols.get(c).getName()));
                        keyValues.add(text(identity.get(c)));
                    }
                }
                String sql;
                List<String> params = new ArrayList<>();
                switch (change.getOp()) {
                    case INSERT -> {
                        sql = "INSERT INTO " + name(rel) + " (" + String.join(", ", sets) + ") VALUES ("
                                + String.join(
                                        ", ",
                                        sets.stream()
                                                .map(s -> "CAST(? AS " + colTypes.get(unquote(s)) + ")")
                                                .toList())
                                + ")";
                        params.addAll(setValues);
                    }
                    case UPDATE -> {
                        sql = "UPDATE " + name(rel) + " SET "
                                + String.join(
                                        ", ",
                                        sets.stream()
                                                .map(s -> s + " = CAST(? AS " + colTypes.get(unquote(s)) + ")")
                                                .toList())
                                + " WHERE " + where(keys, colTypes, full);
                        params.addAll(setValues);
                        params.addAll(keyValues);
                    }
                    default -> {
                        sql = "DELETE FROM " + name(rel) + " WHERE " + where(keys, colTypes, full);
                        params.addAll(keyValues);
                    }
                }
                try (PreparedStatement ps = target.prepareStatement(sql)) {
                    for (int p = 0; p < params.size(); p++) {
                        ps.setString(p + 1, params.get(p));
                    }
                    int n = ps.executeUpdate();
                    if (n != 1) {
                        throw new IllegalStateException(
                                change.getOp() + " on " + name(rel) + " touched " + n + " rows");
                    }
                }
            }
        }
    }

    /**
     * The one change to the stream worker's version: key columns of a unique key compare with {@code =}, so the
     * lookup uses the key's index (its {@code IS NOT DISTINCT FROM} is never indexable, which makes every update a
     * scan of the table). FULL identity rows still compare NULL-safely.
     */
    private static String where(List<String> keys, Map<String, String> colTypes, boolean full) {
        String op = full ? " IS NOT DISTINCT FROM " : " = ";
        return String.join(
                " AND ",
                keys.stream()
                        .map(k -> k + op + "CAST(? AS " + colTypes.get(unquote(k)) + ")")
                        .toList());
    }

    private static List<Object> resolve(List<Object> values, List<LargeValuePart> parts, boolean old) {
        if (values == null) {
            return null;
        }
        List<Object> out = new ArrayList<>(values);
        for (int c = 0; c < out.size(); c++) {
            if (out.get(c) instanceof LargeValueRef) {
                StringBuilder b = new StringBuilder();
                for (LargeValuePart p : parts) {
                    if (p.getColumn() == c && p.getOldValue() == old) {
                        b.append(p.getText());
                    }
                }
                out.set(c, b.toString());
            }
        }
        return out;
    }

    private static String text(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
        return v.toString();
    }

    private static Map<String, String> columnTypes(Connection c, String table) {
        Map<String, String> m = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = ?::regclass"
                        + " AND attnum > 0 AND NOT attisdropped")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    m.put(rs.getString(1), rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    private static String name(RelationDef r) {
        return quote(r.getSchema$()) + "." + quote(r.getTable());
    }

    private static String quote(String s) {
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    private static String unquote(String s) {
        return s.substring(1, s.length() - 1).replace("\"\"", "\"");
    }
}
