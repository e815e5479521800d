package io.recall.restore.job;

import static io.recall.common.pg.SqlIdentifiers.literal;
import static io.recall.common.pg.SqlIdentifiers.qualified;
import static io.recall.common.pg.SqlIdentifiers.quote;

import io.recall.schemas.change.SequenceValue;
import io.recall.schemas.change.SequenceValues;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets every sequence of a restored target (DESIGN.md, "Boundaries and watermarks"): sequences are not in the change
 * stream, so each is set from the capture's snapshot chosen for the cut-off, and never below the largest value in a
 * column it owns ({@code OWNED BY} / serial, or identity) nor below what the base backup gave it. Each of these is at
 * least the sequence's value at the cut-off, so the highest is too (a gap in a sequence is harmless; a value handed
 * out twice is not). Stateless.
 */
final class SequenceSetter {

    private static final Logger log = LoggerFactory.getLogger(SequenceSetter.class);

    private SequenceSetter() {}

    /** A position of a sequence: {@code setval(seq, value, called)}. */
    private record Position(long value, boolean called) {

        /** The value {@code nextval} would hand out next, for a sequence stepping by {@code increment}. */
        long next(long increment) {
            if (!called) {
                return value;
            }
            try {
                return Math.addExact(value, increment);
            } catch (ArithmeticException e) {
                return increment > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
            }
        }
    }

    private record Sequence(String schema, String name, long increment, Position current) {}

    /** A column a sequence owns, both names quoted. */
    private record Column(String table, String column) {}

    /**
     * Sets the sequences; {@code snapshot} may be null (no snapshot stored).
     *
     * @return how many sequences were moved forward
     */
    static int apply(Connection c, SequenceValues snapshot) throws SQLException {
        Map<String, Position> captured = new HashMap<>();
        if (snapshot != null) {
            for (SequenceValue v : snapshot.getSequences()) {
                captured.put(qualified(v.getSchema$(), v.getName()), new Position(v.getLastValue(), v.getIsCalled()));
            }
        }
        Map<String, List<Column>> owned = ownedColumns(c);
        int moved = 0;
        for (Sequence s : sequences(c)) {
            String name = qualified(s.schema(), s.name());
            Position best = s.current();
            Position fromSnapshot = captured.get(name);
            if (fromSnapshot != null && ahead(fromSnapshot, best, s.increment())) {
                best = fromSnapshot;
            }
            for (Column column : owned.getOrDefault(name, List.of())) {
                Long extreme = extreme(c, column, s.increment() > 0);
                if (extreme != null && ahead(new Position(extreme, true), best, s.increment())) {
                    best = new Position(extreme, true);
                }
            }
            if (!best.equals(s.current())) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT pg_catalog.setval(" + literal(name) + ", " + best.value() + ", " + best.called()
                            + ")");
                }
                moved++;
                log.debug("sequence {} set to {} (called {})", name, best.value(), best.called());
            }
        }
        return moved;
    }

    private static boolean ahead(Position a, Position b, long increment) {
        return increment > 0 ? a.next(increment) > b.next(increment) : a.next(increment) < b.next(increment);
    }

    private static List<Sequence> sequences(Connection c) throws SQLException {
        List<Sequence> out = new ArrayList<>();
        List<String[]> names = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT n.nspname, s.relname, q.seqincrement FROM pg_catalog.pg_class s"
                        + " JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace"
                        + " JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid WHERE s.relkind = 'S'"
                        + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")) {
            while (rs.next()) {
                names.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            }
        }
        for (String[] n : names) {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + qualified(n[0], n[1]))) {
                rs.next();
                out.add(new Sequence(n[0], n[1], Long.parseLong(n[2]), new Position(rs.getLong(1), rs.getBoolean(2))));
            }
        }
        return out;
    }

    /** Sequence (qualified) to the qualified columns it owns: serial / OWNED BY ('a') and identity ('i'). */
    private static Map<String, List<Column>> ownedColumns(Connection c) throws SQLException {
        Map<String, List<Column>> out = new HashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sn.nspname, s.relname, tn.nspname, t.relname, a.attname"
                        + " FROM pg_catalog.pg_depend d"
                        + " JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                        + " JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace"
                        + " JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
                        + " JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
                        + " JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
                        + " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                        + " AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                        + " AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0")) {
            while (rs.next()) {
                out.computeIfAbsent(qualified(rs.getString(1), rs.getString(2)), k -> new ArrayList<>())
                        .add(new Column(qualified(rs.getString(3), rs.getString(4)), quote(rs.getString(5))));
            }
        }
        return out;
    }

    /** The largest (or smallest) value in a column, or null when the table is empty or the column not a number. */
    private static Long extreme(Connection c, Column owned, boolean largest) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT CAST(" + (largest ? "max" : "min") + "(" + owned.column()
                        + ") AS bigint) FROM " + owned.table())) {
            rs.next();
            long v = rs.getLong(1);
            return rs.wasNull() ? null : v;
        }
    }
}
