package io.recall.restore.replay;

import static io.recall.common.pg.SqlIdentifiers.literal;
import static io.recall.common.pg.SqlIdentifiers.qualified;
import static io.recall.common.pg.SqlIdentifiers.quote;

import io.recall.common.ddl.DdlCapture;
import io.recall.common.ddl.DdlRecord;
import io.recall.common.ddl.DdlRecord.Column;
import io.recall.common.ddl.DdlRecord.Constraint;
import io.recall.common.ddl.DdlRecord.DdlObject;
import io.recall.common.ddl.DdlRecord.IndexState;
import io.recall.common.ddl.DdlRecord.ObjectState;
import io.recall.common.ddl.DdlRecord.RelName;
import io.recall.common.ddl.DdlRecord.SchemaState;
import io.recall.common.ddl.DdlRecord.SequenceState;
import io.recall.common.ddl.DdlRecord.TableState;
import io.recall.common.ddl.DdlRecord.TypeState;
import io.recall.common.ddl.RowsRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the source's recorded schema changes to the target at their place in the stream (issue 6), inside the
 * replay's open target transaction, so the rows before a change fit the old schema and the rows after it the new one.
 *
 * <p>Each {@link DdlRecord} gives every object's catalog state before and after the command; the applier turns the
 * difference into statements (it never replays the client's query text): tables are created, renamed, moved between
 * schemas, altered column by column (columns are matched by their source attnum, so a rename is not a drop and an
 * add) and constraint by constraint, attached and detached as partitions, dropped; indexes, sequences and schemas
 * likewise. A table the command rewrote (a type change with {@code USING}, a volatile default) is emptied first and
 * refilled from the {@link RowsRecord}s that follow, which carry its rows as the source had them after the command;
 * a table that joined the publication is filled the same way.
 *
 * <p>Foreign keys are held back in {@value #DEFERRED} and created after replay, as the base restore does with its own
 * ({@link #createDeferred}). What the restore changed by name is kept in {@value #RENAMES} for the final check that
 * every captured table of the base backup is there ({@link #currentName}). Both tables live in the progress schema
 * and commit with the replay, so a replay resumed after a crash finds them.
 *
 * <p>Statements run with the replay session's empty search_path: every name is qualified.
 */
final class DdlApplier {

    private static final Logger log = LoggerFactory.getLogger(DdlApplier.class);

    static final String DEFERRED = ReplayEngine.PROGRESS_SCHEMA + ".replay_deferred";
    static final String RENAMES = ReplayEngine.PROGRESS_SCHEMA + ".replay_renames";
    private static final String DEFERRED_TABLE = qualified(ReplayEngine.PROGRESS_SCHEMA, "replay_deferred");
    private static final String RENAMES_TABLE = qualified(ReplayEngine.PROGRESS_SCHEMA, "replay_renames");
    static final String SKIPS = ReplayEngine.PROGRESS_SCHEMA + ".replay_skips";
    private static final String SKIPS_TABLE = qualified(ReplayEngine.PROGRESS_SCHEMA, "replay_skips");
    private static final List<String> POST_DATA_KINDS = List.of("FK CONSTRAINT", "TRIGGER", "POLICY", "RULE");
    private static final Pattern CREATE_INDEX = Pattern.compile("^CREATE (UNIQUE )?INDEX ");

    private final Connection connection;
    private final ReplayCounters counters;
    // the record being applied was derived by the fallback capture and is not exact
    private boolean approximate;
    // the pieces of a rows part so far (a part longer than one message comes in pieces, in order)
    private final StringBuilder pieces = new StringBuilder();
    private int expectedPiece;

    DdlApplier(Connection connection, ReplayCounters counters) {
        this.connection = connection;
        this.counters = counters;
    }

    /** Creates the applier's bookkeeping tables in the progress schema, if missing. */
    static void prepare(Statement st) throws SQLException {
        st.execute("CREATE TABLE IF NOT EXISTS " + DEFERRED_TABLE + " (id bigserial PRIMARY KEY, schema_name text NOT"
                + " NULL, table_name text NOT NULL, name text NOT NULL, def text NOT NULL)");
        st.execute("CREATE TABLE IF NOT EXISTS " + RENAMES_TABLE + " (old_schema text NOT NULL, old_name text NOT NULL,"
                + " new_schema text, new_name text, PRIMARY KEY (old_schema, old_name))");
        st.execute("CREATE TABLE IF NOT EXISTS " + SKIPS_TABLE + " (kind text NOT NULL, schema_name text NOT NULL,"
                + " table_name text NOT NULL, name text NOT NULL, PRIMARY KEY (kind, schema_name, table_name, name))");
    }

    static List<String> bookkeepingTables() {
        return List.of(DEFERRED_TABLE, RENAMES_TABLE, SKIPS_TABLE);
    }

    /** Applies one message of Recall's DDL capture. */
    void apply(String prefix, byte[] content) throws SQLException {
        switch (prefix) {
            case DdlCapture.DDL_PREFIX -> {
                apply(DdlRecord.parse(content));
                counters.schemaChanges++;
            }
            case DdlCapture.ROWS_PREFIX -> piece(RowsRecord.parse(content));
            case DdlCapture.GAP_PREFIX ->
                // the stream has a gap from here on; the window excludes it and restore targets inside it are refused
                log.warn("the source's DDL capture failed at this point: {}", new String(content));
            default -> log.debug("skipping message {}", prefix);
        }
    }

    void apply(DdlRecord record) throws SQLException {
        approximate = record.approximate() != null;
        if (approximate) {
            log.warn(
                    "replaying a schema change the source's capture derived without event triggers, approximately: {}",
                    record.approximate());
        }
        for (RelName r : record.rewritten()) {
            // refilled by the rows that follow; empty, its column types can change without a cast
            exec("TRUNCATE ONLY " + qualified(r.schema(), r.name()));
        }
        for (DdlRecord.Dependent d : record.dropped()) {
            String kind = switch (d.type()) {
                case "table constraint" -> "FK CONSTRAINT";
                case "trigger" -> "TRIGGER";
                case "policy" -> "POLICY";
                default -> "RULE";
            };
            skipPostData(kind, d.schema(), d.table(), d.name());
            if (kind.equals("FK CONSTRAINT")) {
                deferredDelete("schema_name = " + literal(d.schema()) + " AND table_name = " + literal(d.table())
                        + " AND name = " + literal(d.name()));
            }
        }
        List<SequenceState> owned = new ArrayList<>();
        for (DdlObject o : record.objects()) {
            if (!o.replayable()) {
                log.info(
                        "{} {} is not rebuilt by restores (Recall does not model {} objects)",
                        o.tag(),
                        o.identity(),
                        o.type());
                continue;
            }
            ObjectState before = o.before();
            ObjectState after = o.after();
            if (after == null) {
                drop(before);
                continue;
            }
            switch (after) {
                case TableState t -> table(before instanceof TableState b ? b : null, t);
                case IndexState i -> index(before instanceof IndexState b ? b : null, i);
                case SequenceState s -> {
                    sequence(before instanceof SequenceState b ? b : null, s);
                    owned.add(s);
                }
                case SchemaState s -> schema(before instanceof SchemaState b ? b : null, s);
                case TypeState t -> type(before instanceof TypeState b ? b : null, t);
            }
        }
        // a serial column's sequence is created before its table and owned by it after
        for (SequenceState s : owned) {
            if (!s.identity() && exists(qualified(s.schema(), s.name()))) {
                exec("ALTER SEQUENCE " + qualified(s.schema(), s.name()) + " OWNED BY "
                        + (s.ownedBy() == null
                                ? "NONE"
                                : qualified(s.ownedBy().schema(), s.ownedBy().table()) + "."
                                        + quote(s.ownedBy().column())));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ drops

    private void drop(ObjectState before) throws SQLException {
        String name = before.kind().equals("schema") ? quote(before.name()) : qualified(before.schema(), before.name());
        switch (before) {
            case TableState t -> {
                exec("DROP TABLE IF EXISTS " + name + " CASCADE");
                skipPostData("*", t.schema(), t.name(), "*");
                renamed(t.schema(), t.name(), null, null);
                deferredDelete("schema_name = " + literal(t.schema()) + " AND table_name = " + literal(t.name()));
            }
            case IndexState i -> exec("DROP INDEX IF EXISTS " + name + " CASCADE");
            case SequenceState s -> exec("DROP SEQUENCE IF EXISTS " + name + " CASCADE");
            case TypeState t -> exec("DROP TYPE IF EXISTS " + name + " CASCADE");
            case SchemaState s -> {
                // the tables in it go too: the final check must not expect them, nor their post-replay objects
                List<String> tables = new ArrayList<>();
                try (PreparedStatement ps = connection.prepareStatement("SELECT c.relname FROM pg_catalog.pg_class c"
                        + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
                        + " AND c.relkind IN ('r', 'p')")) {
                    ps.setString(1, s.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            tables.add(rs.getString(1));
                        }
                    }
                }
                for (String t : tables) {
                    skipPostData("*", s.name(), t, "*");
                    renamed(s.name(), t, null, null);
                }
                exec("DROP SCHEMA IF EXISTS " + name + " CASCADE");
                try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + RENAMES_TABLE
                        + " (old_schema, old_name) SELECT DISTINCT old_schema, old_name FROM " + RENAMES_TABLE
                        + " WHERE new_schema = ? ON CONFLICT (old_schema, old_name) DO UPDATE SET new_schema = NULL,"
                        + " new_name = NULL")) {
                    ps.setString(1, s.name());
                    ps.executeUpdate();
                }
                deferredDelete("schema_name = " + literal(s.name()));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ tables

    private void table(TableState before, TableState after) throws SQLException {
        if (before == null) {
            if (!exists(qualified(after.schema(), after.name()))) {
                createTable(after);
                return;
            }
            // an object Recall had not seen before (its triggers were installed later): compare with the target
            before = targetTable(after);
        } else if (!exists(qualified(before.schema(), before.name()))) {
            if (exists(qualified(after.schema(), after.name()))) {
                before = targetTable(after);
            } else {
                throw new ReplayStreamException("the DDL record for table " + after.schema() + "." + after.name()
                        + " finds neither it nor its earlier name " + before.schema() + "." + before.name()
                        + " in the target");
            }
        }
        String cur = qualified(before.schema(), before.name());
        if (!before.schema().equals(after.schema())) {
            exec("ALTER TABLE " + cur + " SET SCHEMA " + quote(after.schema()));
            cur = qualified(after.schema(), before.name());
        }
        if (!before.name().equals(after.name())) {
            exec("ALTER TABLE " + cur + " RENAME TO " + quote(after.name()));
            cur = qualified(after.schema(), after.name());
        }
        if (!before.schema().equals(after.schema()) || !before.name().equals(after.name())) {
            renamed(before.schema(), before.name(), after.schema(), after.name());
            try (PreparedStatement ps = connection.prepareStatement("UPDATE " + DEFERRED_TABLE
                    + " SET schema_name = ?, table_name = ? WHERE schema_name = ? AND table_name = ?")) {
                ps.setString(1, after.schema());
                ps.setString(2, after.name());
                ps.setString(3, before.schema());
                ps.setString(4, before.name());
                ps.executeUpdate();
            }
        }
        if (before.parent() != null && !before.parent().equals(after.parent())) {
            exec("ALTER TABLE "
                    + qualified(before.parent().schema(), before.parent().name()) + " DETACH PARTITION " + cur);
        }
        columns(cur, before, after);
        constraints(cur, after, before.constraints(), after.constraints());
        if (before.unlogged() != after.unlogged()) {
            exec("ALTER TABLE " + cur + (after.unlogged() ? " SET UNLOGGED" : " SET LOGGED"));
        }
        if (!Objects.equals(before.replicaIdentity(), after.replicaIdentity())
                || !Objects.equals(before.replicaIdentityIndex(), after.replicaIdentityIndex())) {
            replicaIdentity(cur, after);
        }
        if (after.parent() != null && !after.parent().equals(before.parent())) {
            exec("ALTER TABLE "
                    + qualified(after.parent().schema(), after.parent().name()) + " ATTACH PARTITION " + cur + " "
                    + after.bound());
        }
    }

    private void createTable(TableState t) throws SQLException {
        String name = qualified(t.schema(), t.name());
        StringBuilder sql = new StringBuilder("CREATE ");
        if (t.unlogged()) {
            sql.append("UNLOGGED ");
        }
        sql.append("TABLE ").append(name);
        List<String> parts = new ArrayList<>();
        if (t.parent() != null) {
            sql.append(" PARTITION OF ")
                    .append(qualified(t.parent().schema(), t.parent().name()));
        } else {
            for (Column c : t.columns()) {
                parts.add(columnDefinition(c));
            }
        }
        List<Constraint> foreign = new ArrayList<>();
        for (Constraint k : t.constraints()) {
            if (k.type().equals("f")) {
                foreign.add(k);
            } else if (!k.type().equals("n")) {
                parts.add("CONSTRAINT " + quote(k.name()) + " " + k.def());
            }
        }
        if (!parts.isEmpty()) {
            sql.append(" (").append(String.join(", ", parts)).append(")");
        } else if (t.parent() == null) {
            sql.append(" ()");
        }
        if (t.parent() != null) {
            sql.append(" ").append(t.bound());
        }
        if (t.partitioned()) {
            sql.append(" PARTITION BY ").append(t.partitionKey());
        }
        exec(sql.toString());
        for (Constraint k : foreign) {
            defer(t.schema(), t.name(), k);
        }
        if (!"d".equals(t.replicaIdentity())) {
            replicaIdentity(name, t);
        }
    }

    private static String columnDefinition(Column c) {
        StringBuilder d = new StringBuilder(quote(c.name())).append(' ').append(c.type());
        if (c.collation() != null) {
            d.append(" COLLATE ").append(c.collation());
        }
        if (c.generated() != null) {
            d.append(" GENERATED ALWAYS AS (").append(c.generated()).append(") STORED");
        } else if (c.identity() != null) {
            d.append(identityClause(c));
        } else if (c.defaultExpr() != null) {
            d.append(" DEFAULT ").append(c.defaultExpr());
        }
        if (c.notNull()) {
            d.append(" NOT NULL");
        }
        return d.toString();
    }

    private static String identityClause(Column c) {
        return " GENERATED " + ("a".equals(c.identity()) ? "ALWAYS" : "BY DEFAULT") + " AS IDENTITY"
                + (c.identitySequence() != null ? " (SEQUENCE NAME " + c.identitySequence() + ")" : "");
    }

    private void columns(String table, TableState before, TableState after) throws SQLException {
        Map<Integer, Column> old = new LinkedHashMap<>();
        for (Column c : before.columns()) {
            old.put(c.num(), c);
        }
        Map<Integer, Column> now = new LinkedHashMap<>();
        for (Column c : after.columns()) {
            now.put(c.num(), c);
        }
        for (Column b : before.columns()) {
            if (!now.containsKey(b.num()) && b.local()) {
                exec("ALTER TABLE " + table + " DROP COLUMN IF EXISTS " + quote(b.name()) + " CASCADE");
            }
        }
        for (Column a : after.columns()) {
            Column b = old.get(a.num());
            if (b == null) {
                if (a.local() || after.parent() == null) {
                    addColumn(table, a);
                }
                continue;
            }
            if (!a.local() && after.parent() != null) {
                continue; // a partition's inherited column changes with its parent
            }
            String col = quote(a.name());
            if (!b.name().equals(a.name())) {
                exec("ALTER TABLE " + table + " RENAME COLUMN " + quote(b.name()) + " TO " + col);
            }
            if (b.generated() != null && a.generated() == null) {
                exec("ALTER TABLE " + table + " ALTER COLUMN " + col + " DROP EXPRESSION");
            }
            if (b.identity() != null && a.identity() == null) {
                exec("ALTER TABLE " + table + " ALTER COLUMN " + col + " DROP IDENTITY IF EXISTS");
            }
            if (!b.type().equals(a.type()) || !Objects.equals(b.collation(), a.collation())) {
                String change = "ALTER TABLE " + table + " ALTER COLUMN " + col + " TYPE " + a.type()
                        + (a.collation() != null ? " COLLATE " + a.collation() : "");
                if (isEmpty(table)) {
                    // an empty table (rewritten ones were emptied; uncaptured ones hold no rows) takes any change
                    exec(change + " USING NULL::" + a.type());
                } else if (approximate) {
                    // the source's USING expression is unknown: the plain cast where there is one, else NULL
                    execOr(change, change + " USING NULL::" + a.type());
                } else {
                    exec(change);
                }
            }
            if (a.generated() == null && a.identity() == null && !Objects.equals(b.defaultExpr(), a.defaultExpr())) {
                exec("ALTER TABLE " + table + " ALTER COLUMN " + col
                        + (a.defaultExpr() == null ? " DROP DEFAULT" : " SET DEFAULT " + a.defaultExpr()));
            }
            if (b.identity() == null && a.identity() != null) {
                exec("ALTER TABLE " + table + " ALTER COLUMN " + col + " ADD" + identityClause(a));
            } else if (b.identity() != null
                    && a.identity() != null
                    && !b.identity().equals(a.identity())) {
                exec("ALTER TABLE " + table + " ALTER COLUMN " + col + " SET GENERATED "
                        + ("a".equals(a.identity()) ? "ALWAYS" : "BY DEFAULT"));
            }
            if (b.notNull() != a.notNull()) {
                exec("ALTER TABLE " + table + " ALTER COLUMN " + col
                        + (a.notNull() ? " SET NOT NULL" : " DROP NOT NULL"));
            }
        }
    }

    /**
     * Adds a column. Rows older than a fast-default ADD COLUMN read the value the default had when the column was added
     * (a stable default such as {@code now()} was evaluated once, on the source): that value goes in first, then the
     * column gets its own default.
     */
    private void addColumn(String table, Column a) throws SQLException {
        if (a.missing() == null || a.generated() != null || a.identity() != null) {
            exec("ALTER TABLE " + table + " ADD COLUMN " + columnDefinition(a));
            return;
        }
        Column first = new Column(
                a.num(),
                a.name(),
                a.type(),
                a.collation(),
                a.notNull(),
                literal(a.missing()) + "::" + a.type(),
                null,
                null,
                null,
                a.local(),
                null,
                a.typeOid(),
                a.typmod());
        exec("ALTER TABLE " + table + " ADD COLUMN " + columnDefinition(first));
        exec("ALTER TABLE " + table + " ALTER COLUMN " + quote(a.name())
                + (a.defaultExpr() == null ? " DROP DEFAULT" : " SET DEFAULT " + a.defaultExpr()));
    }

    private void constraints(String table, TableState after, List<Constraint> before, List<Constraint> now)
            throws SQLException {
        Map<String, Constraint> old = new LinkedHashMap<>();
        before.forEach(k -> old.put(k.name(), k));
        Map<String, Constraint> cur = new LinkedHashMap<>();
        now.forEach(k -> cur.put(k.name(), k));
        for (Constraint b : before) {
            Constraint a = cur.get(b.name());
            if (a == null || !a.def().equals(b.def()) || !a.type().equals(b.type())) {
                if (b.type().equals("f")) {
                    skipPostData("FK CONSTRAINT", after.schema(), after.name(), b.name());
                    deferredDelete("schema_name = " + literal(after.schema()) + " AND table_name = "
                            + literal(after.name()) + " AND name = " + literal(b.name()));
                }
                if (!b.type().equals("n")) {
                    exec("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " + quote(b.name()) + " CASCADE");
                }
            }
        }
        for (Constraint a : now) {
            Constraint b = old.get(a.name());
            if (b != null && b.def().equals(a.def()) && b.type().equals(a.type())) {
                continue;
            }
            if (a.type().equals("f")) {
                defer(after.schema(), after.name(), a);
            } else if (!a.type().equals("n")) {
                exec("ALTER TABLE " + table + " ADD CONSTRAINT " + quote(a.name()) + " " + a.def());
            }
        }
    }

    private void replicaIdentity(String table, TableState t) throws SQLException {
        String how = switch (t.replicaIdentity()) {
            case "f" -> "FULL";
            case "n" -> "NOTHING";
            case "i" -> t.replicaIdentityIndex() == null ? "DEFAULT" : "USING INDEX " + quote(t.replicaIdentityIndex());
            default -> "DEFAULT";
        };
        exec("ALTER TABLE " + table + " REPLICA IDENTITY " + how);
    }

    // ------------------------------------------------------------------------------------------------ other kinds

    private void index(IndexState before, IndexState after) throws SQLException {
        String name = qualified(after.schema(), after.name());
        if (before != null && !before.name().equals(after.name())) {
            String old = qualified(before.schema(), before.name());
            if (exists(old)) {
                exec("ALTER INDEX " + old + " RENAME TO " + quote(after.name()));
            }
            return;
        }
        if (after.constraint() || after.partitionChild() || exists(name)) {
            return; // comes and goes with its constraint, or with its partition's parent index
        }
        Matcher m = CREATE_INDEX.matcher(after.def());
        if (!m.find()) {
            throw new ReplayStreamException("unexpected index definition for " + name + ": " + after.def());
        }
        exec(m.replaceFirst("CREATE " + (m.group(1) == null ? "" : m.group(1)) + "INDEX IF NOT EXISTS "));
    }

    private void sequence(SequenceState before, SequenceState after) throws SQLException {
        if (after.identity()) {
            return; // its identity column creates, names and drops it
        }
        String name = qualified(after.schema(), after.name());
        if (before != null) {
            String cur = qualified(before.schema(), before.name());
            if (!before.schema().equals(after.schema()) && exists(cur)) {
                exec("ALTER SEQUENCE " + cur + " SET SCHEMA " + quote(after.schema()));
                cur = qualified(after.schema(), before.name());
            }
            if (!before.name().equals(after.name()) && exists(cur)) {
                exec("ALTER SEQUENCE " + cur + " RENAME TO " + quote(after.name()));
            }
        }
        if (!exists(name)) {
            exec("CREATE SEQUENCE " + name + " AS " + after.type() + sequenceOptions(after));
        } else if (before != null && !sameOptions(before, after)) {
            exec("ALTER SEQUENCE " + name + " AS " + after.type() + sequenceOptions(after));
        }
    }

    private static String sequenceOptions(SequenceState s) {
        return " INCREMENT BY " + s.increment() + " MINVALUE " + s.min() + " MAXVALUE " + s.max() + " START WITH "
                + s.start() + " CACHE " + s.cache() + (s.cycle() ? " CYCLE" : " NO CYCLE");
    }

    private static boolean sameOptions(SequenceState a, SequenceState b) {
        return a.type().equals(b.type())
                && a.increment() == b.increment()
                && a.min() == b.min()
                && a.max() == b.max()
                && a.start() == b.start()
                && a.cache() == b.cache()
                && a.cycle() == b.cycle();
    }

    /** Enum, domain and composite types: created, renamed, moved, and changed label, constraint or attribute-wise. */
    private void type(TypeState before, TypeState after) throws SQLException {
        String name = qualified(after.schema(), after.name());
        if (before != null && !before.kind().equals("type")) {
            String cur = qualified(before.schema(), before.name());
            if (!before.name().equals(after.name()) && typeExists(cur)) {
                exec("ALTER TYPE " + cur + " RENAME TO " + quote(after.name()));
                cur = qualified(before.schema(), after.name());
            }
            if (!before.schema().equals(after.schema()) && typeExists(cur)) {
                exec("ALTER TYPE " + cur + " SET SCHEMA " + quote(after.schema()));
            }
        }
        if (!typeExists(name)) {
            createType(after);
            return;
        }
        if (before == null || before.kind().equals("type")) {
            return; // never seen before: created as the record says only when missing
        }
        switch (after.kind()) {
            case "enum" -> {
                List<String> old = before.labels();
                List<String> now = after.labels();
                if (old.size() == now.size() && !old.equals(now)) {
                    for (int i = 0; i < old.size(); i++) {
                        if (!old.get(i).equals(now.get(i))) {
                            exec("ALTER TYPE " + name + " RENAME VALUE " + literal(old.get(i)) + " TO "
                                    + literal(now.get(i)));
                        }
                    }
                }
                for (int i = 0; i < now.size(); i++) {
                    if (!old.contains(now.get(i)) && old.size() != now.size()) {
                        exec("ALTER TYPE " + name + " ADD VALUE IF NOT EXISTS " + literal(now.get(i))
                                + (i == 0
                                        ? (now.size() > 1 ? " BEFORE " + literal(now.get(1)) : "")
                                        : " AFTER " + literal(now.get(i - 1))));
                    }
                }
            }
            case "domain" -> {
                if (!Objects.equals(before.defaultExpr(), after.defaultExpr())) {
                    exec("ALTER DOMAIN " + name
                            + (after.defaultExpr() == null ? " DROP DEFAULT" : " SET DEFAULT " + after.defaultExpr()));
                }
                if (before.notNull() != after.notNull()) {
                    exec("ALTER DOMAIN " + name + (after.notNull() ? " SET NOT NULL" : " DROP NOT NULL"));
                }
                for (DdlRecord.Check c : before.checks()) {
                    if (!after.checks().contains(c)) {
                        exec("ALTER DOMAIN " + name + " DROP CONSTRAINT IF EXISTS " + quote(c.name()));
                    }
                }
                for (DdlRecord.Check c : after.checks()) {
                    if (!before.checks().contains(c)) {
                        exec("ALTER DOMAIN " + name + " ADD CONSTRAINT " + quote(c.name()) + " " + c.def());
                    }
                }
            }
            case "composite" -> {
                Map<Integer, DdlRecord.Attribute> old = new LinkedHashMap<>();
                before.attributes().forEach(a -> old.put(a.num(), a));
                Map<Integer, DdlRecord.Attribute> now = new LinkedHashMap<>();
                after.attributes().forEach(a -> now.put(a.num(), a));
                for (DdlRecord.Attribute b : before.attributes()) {
                    if (!now.containsKey(b.num())) {
                        exec("ALTER TYPE " + name + " DROP ATTRIBUTE IF EXISTS " + quote(b.name()) + " CASCADE");
                    }
                }
                for (DdlRecord.Attribute a : after.attributes()) {
                    DdlRecord.Attribute b = old.get(a.num());
                    if (b == null) {
                        exec("ALTER TYPE " + name + " ADD ATTRIBUTE " + quote(a.name()) + " " + a.type() + " CASCADE");
                        continue;
                    }
                    if (!b.name().equals(a.name())) {
                        exec("ALTER TYPE " + name + " RENAME ATTRIBUTE " + quote(b.name()) + " TO " + quote(a.name())
                                + " CASCADE");
                    }
                    if (!b.type().equals(a.type())) {
                        exec("ALTER TYPE " + name + " ALTER ATTRIBUTE " + quote(a.name()) + " TYPE " + a.type()
                                + " CASCADE");
                    }
                }
            }
            default -> {}
        }
    }

    private void createType(TypeState t) throws SQLException {
        String name = qualified(t.schema(), t.name());
        switch (t.kind()) {
            case "enum" ->
                exec("CREATE TYPE " + name + " AS ENUM ("
                        + String.join(
                                ", ",
                                t.labels().stream()
                                        .map(io.recall.common.pg.SqlIdentifiers::literal)
                                        .toList())
                        + ")");
            case "domain" -> {
                StringBuilder sql = new StringBuilder("CREATE DOMAIN " + name + " AS " + t.baseType());
                if (t.defaultExpr() != null) {
                    sql.append(" DEFAULT ").append(t.defaultExpr());
                }
                if (t.notNull()) {
                    sql.append(" NOT NULL");
                }
                for (DdlRecord.Check c : t.checks()) {
                    sql.append(" CONSTRAINT ")
                            .append(quote(c.name()))
                            .append(' ')
                            .append(c.def());
                }
                exec(sql.toString());
            }
            case "composite" ->
                exec("CREATE TYPE " + name + " AS ("
                        + String.join(
                                ", ",
                                t.attributes().stream()
                                        .map(a -> quote(a.name()) + " " + a.type())
                                        .toList())
                        + ")");
            default -> log.info("type {} is not rebuilt (kind {})", name, t.kind());
        }
    }

    private boolean typeExists(String qualifiedName) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.to_regtype(?) IS NOT NULL")) {
            ps.setString(1, qualifiedName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private void schema(SchemaState before, SchemaState after) throws SQLException {
        if (before != null && !before.name().equals(after.name())) {
            exec("ALTER SCHEMA " + quote(before.name()) + " RENAME TO " + quote(after.name()));
            try (PreparedStatement ps = connection.prepareStatement(
                    "UPDATE " + RENAMES_TABLE + " SET new_schema = ? WHERE new_schema = ?")) {
                ps.setString(1, after.name());
                ps.setString(2, before.name());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + RENAMES_TABLE
                    + " (old_schema, old_name, new_schema, new_name) SELECT ?, c.relname, ?, c.relname"
                    + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ON CONFLICT DO NOTHING")) {
                ps.setString(1, before.name());
                ps.setString(2, after.name());
                ps.setString(3, after.name());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = connection.prepareStatement(
                    "UPDATE " + DEFERRED_TABLE + " SET schema_name = ? WHERE schema_name = ?")) {
                ps.setString(1, after.name());
                ps.setString(2, before.name());
                ps.executeUpdate();
            }
        } else {
            exec("CREATE SCHEMA IF NOT EXISTS " + quote(after.name()));
        }
    }

    // ------------------------------------------------------------------------------------------------ rows

    /** Gathers the pieces of one part; the last one applies the whole part. */
    private void piece(RowsRecord r) throws SQLException {
        if (r.pieces() <= 1) {
            rows(r);
            return;
        }
        if (r.piece() == 0) {
            pieces.setLength(0);
        } else if (r.piece() != expectedPiece) {
            throw new ReplayStreamException("rows of " + r.schema() + "." + r.name() + " arrived out of order: piece "
                    + r.piece() + " where " + expectedPiece + " was due");
        }
        pieces.append(r.rowsJson());
        expectedPiece = r.piece() + 1;
        if (expectedPiece == r.pieces()) {
            rows(new RowsRecord(r.schema(), r.name(), r.part(), r.reason(), 0, 1, pieces.toString()));
            pieces.setLength(0);
            expectedPiece = 0;
        }
    }

    /** Replaces (part 0) or extends a table's rows with the ones the source had when the record was written. */
    void rows(RowsRecord r) throws SQLException {
        String table = qualified(r.schema(), r.name());
        if (!exists(table)) {
            throw new ReplayStreamException(
                    "rows for " + r.schema() + "." + r.name() + " arrived, but the target has no such table");
        }
        if (r.part() == 0) {
            exec("TRUNCATE ONLY " + table);
        }
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname FROM pg_catalog.pg_attribute a"
                + " WHERE a.attrelid = CAST(? AS regclass) AND a.attnum > 0 AND NOT a.attisdropped"
                + " AND a.attgenerated = '' ORDER BY a.attnum")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(quote(rs.getString(1)));
                }
            }
        }
        String list = String.join(", ", columns);
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + table + " (" + list + ")"
                + " OVERRIDING SYSTEM VALUE SELECT " + list + " FROM pg_catalog.json_populate_recordset(NULL::"
                + table + ", CAST(? AS json))")) {
            ps.setString(1, r.rowsJson());
            int n = ps.executeUpdate();
            counters.copied += n;
            counters.statements++;
        }
    }

    // ------------------------------------------------------------------------------------------------ after replay

    /**
     * Creates the foreign keys that DDL during the replayed window added, once replay and the base restore's own
     * post-replay objects are done; one whose table is gone by then is skipped.
     *
     * @return how many were created
     */
    static int createDeferred(Connection connection) throws SQLException {
        if (!tableExists(connection, DEFERRED)) {
            return 0;
        }
        List<String[]> rows = new ArrayList<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT schema_name, table_name, name, def FROM " + DEFERRED_TABLE + " ORDER BY id")) {
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
            }
        }
        int created = 0;
        try (Statement st = connection.createStatement()) {
            for (String[] r : rows) {
                String table = qualified(r[0], r[1]);
                if (!tableExists(connection, table)) {
                    continue;
                }
                try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_catalog.pg_constraint"
                        + " WHERE conrelid = CAST(? AS regclass) AND conname = ?")) {
                    ps.setString(1, table);
                    ps.setString(2, r[2]);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            continue;
                        }
                    }
                }
                st.execute("ALTER TABLE " + table + " ADD CONSTRAINT " + quote(r[2]) + " " + r[3]);
                created++;
            }
        }
        return created;
    }

    /**
     * The name a base-backup table has after the replayed DDL: itself if nothing renamed it, empty if it was
     * dropped. Reads what the replay recorded; call before the progress schema is dropped.
     */
    static Optional<List<String>> currentName(Connection connection, String schema, String name) throws SQLException {
        if (!tableExists(connection, RENAMES)) {
            return Optional.of(List.of(schema, name));
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT new_schema, new_name FROM " + RENAMES_TABLE + " WHERE old_schema = ? AND old_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.of(List.of(schema, name));
                }
                return rs.getString(2) == null
                        ? Optional.empty()
                        : Optional.of(List.of(rs.getString(1), rs.getString(2)));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void renamed(String oldSchema, String oldName, String newSchema, String newName) throws SQLException {
        // an earlier name that led here follows along
        try (PreparedStatement ps = connection.prepareStatement("UPDATE " + RENAMES_TABLE
                + " SET new_schema = ?, new_name = ? WHERE new_schema = ? AND new_name = ?")) {
            ps.setString(1, newSchema);
            ps.setString(2, newName);
            ps.setString(3, oldSchema);
            ps.setString(4, oldName);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + RENAMES_TABLE
                + " (old_schema, old_name, new_schema, new_name) VALUES (?, ?, ?, ?) ON CONFLICT (old_schema, old_name)"
                + " DO NOTHING")) {
            ps.setString(1, oldSchema);
            ps.setString(2, oldName);
            ps.setString(3, newSchema);
            ps.setString(4, newName);
            ps.executeUpdate();
        }
        if (newName != null) {
            // a table created under a name that an earlier one had is a table of its own
            try (PreparedStatement ps = connection.prepareStatement(
                    "DELETE FROM " + RENAMES_TABLE + " WHERE old_schema = ? AND old_name = ? AND new_name IS NULL")) {
                ps.setString(1, newSchema);
                ps.setString(2, newName);
                ps.executeUpdate();
            }
        }
    }

    /**
     * Notes an object of the base backup's post-replay part that the replayed changes dropped, under the name its
     * table had in the base backup, so that {@link #postDataSkips} leaves it out.
     */
    private void skipPostData(String kind, String schema, String table, String name) throws SQLException {
        String baseSchema = schema;
        String baseTable = table;
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT old_schema, old_name FROM " + RENAMES_TABLE + " WHERE new_schema = ? AND new_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    baseSchema = rs.getString(1);
                    baseTable = rs.getString(2);
                }
            }
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + SKIPS_TABLE
                + " (kind, schema_name, table_name, name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, kind);
            ps.setString(2, baseSchema);
            ps.setString(3, baseTable);
            ps.setString(4, name);
            ps.executeUpdate();
        }
    }

    /**
     * Which entries of the base backup's post-replay part ({@code pg_restore -l} descriptions) the replayed schema
     * changes dropped: foreign keys, triggers, policies and rules of dropped tables, and ones dropped by name or with
     * a column.
     */
    static java.util.function.Predicate<String> postDataSkips(Connection connection) throws SQLException {
        java.util.Set<String> skips = new java.util.HashSet<>();
        if (tableExists(connection, SKIPS)) {
            try (Statement st = connection.createStatement();
                    ResultSet rs = st.executeQuery("SELECT kind, schema_name, table_name, name FROM " + SKIPS_TABLE)) {
                while (rs.next()) {
                    skips.add(
                            rs.getString(1) + "\0" + rs.getString(2) + "\0" + rs.getString(3) + "\0" + rs.getString(4));
                }
            }
        }
        return entry -> {
            for (String kind : POST_DATA_KINDS) {
                if (entry.startsWith(kind + " ")) {
                    String[] t = entry.substring(kind.length() + 1).split(" ");
                    return t.length >= 3
                            && (skips.contains(kind + "\0" + t[0] + "\0" + t[1] + "\0" + t[2])
                                    || skips.contains("*\0" + t[0] + "\0" + t[1] + "\0*"));
                }
            }
            return false;
        };
    }

    /**
     * Gives the tables the replayed changes renamed their base-backup names back ({@code forward} false), or their
     * new names again ({@code true}), so the base backup's post-replay part (foreign keys, triggers, ...), which
     * names them as they were, can be restored in between. A name another table has taken since is left alone.
     *
     * @return the renames done
     */
    static int renameForPostData(Connection connection, boolean forward) throws SQLException {
        if (!tableExists(connection, RENAMES)) {
            return 0;
        }
        List<String[]> renames = new ArrayList<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT old_schema, old_name, new_schema, new_name FROM " + RENAMES_TABLE
                        + " WHERE new_name IS NOT NULL AND (old_schema, old_name) <> (new_schema, new_name)")) {
            while (rs.next()) {
                renames.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
            }
        }
        int done = 0;
        try (Statement st = connection.createStatement()) {
            for (String[] r : renames) {
                String fromSchema = forward ? r[0] : r[2];
                String fromName = forward ? r[1] : r[3];
                String toSchema = forward ? r[2] : r[0];
                String toName = forward ? r[3] : r[1];
                if (!tableExists(connection, qualified(fromSchema, fromName))
                        || tableExists(connection, qualified(toSchema, toName))
                        || tableExists(connection, qualified(fromSchema, toName))) {
                    continue;
                }
                String cur = qualified(fromSchema, fromName);
                if (!fromName.equals(toName)) {
                    st.execute("ALTER TABLE " + cur + " RENAME TO " + quote(toName));
                    cur = qualified(fromSchema, toName);
                }
                if (!fromSchema.equals(toSchema)) {
                    st.execute("ALTER TABLE " + cur + " SET SCHEMA " + quote(toSchema));
                }
                done++;
            }
        }
        return done;
    }

    private void defer(String schema, String table, Constraint k) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO " + DEFERRED_TABLE + " (schema_name, table_name, name, def) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, k.name());
            ps.setString(4, k.def());
            ps.executeUpdate();
        }
    }

    private void deferredDelete(String where) throws SQLException {
        exec("DELETE FROM " + DEFERRED_TABLE + " WHERE " + where);
    }

    /**
     * The target's own table under {@code after}'s name, as a "before" state: its columns match {@code after}'s by
     * name (there is no source attnum to go by), its constraints are taken as they are.
     */
    private TableState targetTable(TableState after) throws SQLException {
        String schema = after.schema();
        String name = after.name();
        Map<String, Integer> nums = new LinkedHashMap<>();
        after.columns().forEach(c -> nums.put(c.name(), c.num()));
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT a.attnum, a.attname,"
                        + " pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a"
                        + " WHERE a.attrelid = CAST(? AS regclass) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, qualified(schema, name));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(
                            nums.getOrDefault(rs.getString(2), -rs.getInt(1)),
                            rs.getString(2),
                            rs.getString(3),
                            null,
                            false,
                            null,
                            null,
                            null,
                            null,
                            true,
                            null,
                            null,
                            null));
                }
            }
        }
        return new TableState(
                after.kind(),
                schema,
                name,
                after.unlogged(),
                columns,
                after.constraints(),
                after.replicaIdentity(),
                after.replicaIdentityIndex(),
                after.partitionKey(),
                after.parent(),
                after.bound());
    }

    private boolean exists(String qualifiedName) throws SQLException {
        return tableExists(connection, qualifiedName);
    }

    private static boolean tableExists(Connection connection, String qualifiedName) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, qualifiedName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private boolean isEmpty(String table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM " + table + ")")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Runs {@code sql}; if it fails, runs {@code otherwise} instead (a savepoint keeps the transaction usable). */
    private void execOr(String sql, String otherwise) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SAVEPOINT recall_ddl");
            try {
                st.execute(sql);
                st.execute("RELEASE SAVEPOINT recall_ddl");
                counters.statements++;
                return;
            } catch (SQLException e) {
                log.warn("{} failed ({}); using {}", sql, e.getMessage(), otherwise);
                st.execute("ROLLBACK TO SAVEPOINT recall_ddl");
            }
        }
        exec(otherwise);
    }

    private void exec(String sql) throws SQLException {
        log.debug("DDL: {}", sql);
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new ReplayStreamException(
                    "applying the source's schema change failed: " + sql + ": " + e.getMessage(), e);
        }
        counters.statements++;
    }
}
