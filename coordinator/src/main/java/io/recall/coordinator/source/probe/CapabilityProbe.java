package io.recall.coordinator.source.probe;

import static io.recall.coordinator.source.probe.ProbeCheck.fail;
import static io.recall.coordinator.source.probe.ProbeCheck.pass;
import static io.recall.coordinator.source.probe.ProbeCheck.warn;

import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.pg.PgErrors;
import io.recall.common.pg.SqlIdentifiers;
import io.recall.coordinator.config.RecallProperties;
import io.recall.coordinator.source.SourceConnections;
import io.recall.coordinator.source.TableName;
import io.recall.coordinator.source.TablePattern;
import io.recall.coordinator.source.TableSelection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Checks, one line each, whether a source can be protected and how to fix what blocks it. Read-only: it creates
 * nothing on the source. Connection failures (bad credentials, unreachable host, not a PostgreSQL endpoint) are
 * thrown as {@link io.recall.common.errors.SourceConnectionException}; everything after a successful connection is
 * reported as checks. Thread-safe.
 */
@Component
public class CapabilityProbe {

    private static final Logger log = LoggerFactory.getLogger(CapabilityProbe.class);

    /** Majors exercised by Recall's own test suite. */
    static final Set<Integer> TESTED_MAJORS = Set.of(13, 15);

    static final int MIN_MAJOR = 13;
    static final int NEWEST_KNOWN_MAJOR = 18;

    /** Recall's own schema on a source (DDL capture objects); never captured or dumped. */
    public static final String RECALL_SCHEMA = "_recall";

    private final RecallProperties.Probe settings;
    private final ClientTools tools;
    private final Clock clock;

    @Autowired
    public CapabilityProbe(RecallProperties properties, ClientTools tools) {
        this(properties.probe(), tools, Clock.systemUTC());
    }

    CapabilityProbe(RecallProperties.Probe settings, ClientTools tools, Clock clock) {
        this.settings = settings;
        this.tools = tools;
        this.clock = clock;
    }

    /**
     * Runs every check.
     *
     * @param ownSlotName the slot Recall already holds for this source (a re-probe), counted as available; may be
     *     null
     */
    public ProbeResult probe(ConnectionString source, TableSelection selection, String ownSlotName) {
        var at = clock.instant();
        List<ProbeCheck> checks = new ArrayList<>();
        try (Connection c = connect(source, false)) {
            try (Statement st = c.createStatement()) {
                st.execute(
                        "SET statement_timeout = " + settings.statementTimeout().toMillis());
            }
            Server server = server(c);
            checks.add(versionCheck(server));
            checks.add(walLevelCheck(c));
            checks.addAll(capacityChecks(c, ownSlotName));
            Role role = role(c);
            checks.add(replicationRoleCheck(role));
            checks.add(createPrivilegeCheck(c));
            TablePlan plan = planTables(c, selection, checks);
            checks.add(largeObjectCheck(c));
            checks.add(ddlModeCheck(role));
            checks.add(logicalMessagesCheck(server));
            checks.add(sequencesCheck(c, plan));
            checks.add(slotKeepSizeCheck(c));
            String systemId = replicationConnectionCheck(source, checks);
            checks.addAll(clientToolChecks(server));
            var report = ProbeReport.of(at, server.version, checks);
            var facts = new ProbeFacts(
                    server.versionNum,
                    systemId,
                    role.superuser,
                    role.superuser ? DdlCaptureMode.EVENT_TRIGGER : DdlCaptureMode.FALLBACK,
                    plan.publishable);
            log.info(
                    "probed {}: outcome {}, {} tables, {} checks",
                    source.masked(),
                    report.outcome(),
                    plan.publishable.size(),
                    checks.size());
            return new ProbeResult(report, facts);
        } catch (SQLException e) {
            throw PgErrors.connectFailure(source, e);
        }
    }

    private Connection connect(ConnectionString source, boolean replication) throws SQLException {
        Properties p = SourceConnections.properties(source, settings, "recall-probe");
        if (replication) {
            p.setProperty("replication", "database");
            p.setProperty("preferQueryMode", "simple");
            p.setProperty("assumeMinServerVersion", "10");
        }
        return DriverManager.getConnection(source.jdbcUrl(), p);
    }

    private record Server(int versionNum, String version) {
        int major() {
            return versionNum / 10000;
        }
    }

    private record Role(String name, boolean superuser, boolean replication, boolean rdsReplication) {}

    private static Server server(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT current_setting('server_version_num')::int, current_setting('server_version')")) {
            rs.next();
            return new Server(rs.getInt(1), rs.getString(2));
        }
    }

    private static ProbeCheck versionCheck(Server s) {
        String found = "PostgreSQL " + s.version + " (server_version_num " + s.versionNum + ")";
        String why = "logical decoding with pgoutput as Recall uses it needs PostgreSQL " + MIN_MAJOR
                + " or newer; tested by Recall's suite: "
                + TESTED_MAJORS.stream().sorted().map(String::valueOf).collect(Collectors.joining(", "));
        if (s.major() < MIN_MAJOR) {
            return fail("server_version", found, why, "upgrade the server to PostgreSQL " + MIN_MAJOR + " or newer");
        }
        if (s.major() > NEWEST_KNOWN_MAJOR) {
            return warn(
                    "server_version",
                    found,
                    why + "; this major is newer than any Recall knows",
                    "check Recall's release notes for support of PostgreSQL " + s.major());
        }
        return pass("server_version", found, why);
    }

    private static ProbeCheck walLevelCheck(Connection c) throws SQLException {
        String level = single(c, "SELECT current_setting('wal_level')");
        String why = "logical replication slots need wal_level = logical";
        if ("logical".equals(level)) {
            return pass("wal_level", "wal_level = logical", why);
        }
        return fail(
                "wal_level",
                "wal_level = " + level,
                why,
                "ALTER SYSTEM SET wal_level = logical; then restart the server. Managed services: Amazon RDS/Aurora set"
                        + " rds.logical_replication = 1 in the parameter group and reboot; Cloud SQL set the flag"
                        + " cloudsql.logical_decoding = on; Azure set wal_level = logical in server parameters;"
                        + " Supabase and Neon enable logical replication in the project settings");
    }

    private static List<ProbeCheck> capacityChecks(Connection c, String ownSlot) throws SQLException {
        int maxSlots = Integer.parseInt(single(c, "SELECT current_setting('max_replication_slots')"));
        int usedSlots;
        try (PreparedStatement ps =
                c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name IS DISTINCT FROM ?")) {
            ps.setString(1, ownSlot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                usedSlots = rs.getInt(1);
            }
        }
        int maxSenders = Integer.parseInt(single(c, "SELECT current_setting('max_wal_senders')"));
        int usedSenders =
                Integer.parseInt(single(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'"));
        if (ownSlot != null) {
            usedSenders = Math.max(0, usedSenders - activeOwnSlot(c, ownSlot));
        }
        return List.of(
                capacity(
                        "max_replication_slots",
                        "replication slots",
                        maxSlots,
                        usedSlots,
                        "ALTER SYSTEM SET max_replication_slots = " + Math.max(maxSlots, usedSlots + 2)
                                + "; then restart the server (or raise it in the managed service's parameters)"),
                capacity(
                        "max_wal_senders",
                        "WAL senders",
                        maxSenders,
                        usedSenders,
                        "ALTER SYSTEM SET max_wal_senders = " + Math.max(maxSenders, usedSenders + 2)
                                + "; then restart the server (or raise it in the managed service's parameters)"));
    }

    private static int activeOwnSlot(Connection c, String ownSlot) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ? AND active")) {
            ps.setString(1, ownSlot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static ProbeCheck capacity(String id, String what, int max, int used, String fix) {
        int free = max - used;
        String found = id + " = " + max + ", " + used + " in use by others, " + free + " free";
        String why = "Recall streams through one slot and walsender, and a later base backup of a streaming source"
                + " needs a second, temporary one: two must be free";
        if (free >= 2) {
            return pass(id, found, why);
        }
        if (free == 1) {
            return warn(id, found, why + "; with one, capture works but later base backups will fail", fix);
        }
        return fail(id, found, why, fix);
    }

    private static Role role(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("""
                        SELECT r.rolname, r.rolsuper, r.rolreplication,
                               EXISTS (SELECT 1 FROM pg_roles x
                                        WHERE x.rolname = 'rds_replication'
                                          AND pg_has_role(r.oid, x.oid, 'MEMBER'))
                          FROM pg_roles r WHERE r.rolname = current_user""")) {
            rs.next();
            return new Role(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4));
        }
    }

    private static ProbeCheck replicationRoleCheck(Role r) {
        String why = "creating and streaming a logical replication slot needs the REPLICATION attribute (or the managed"
                + " service's equivalent)";
        if (r.superuser) {
            return pass("role_replication", "role " + r.name + " is a superuser", why);
        }
        if (r.replication) {
            return pass("role_replication", "role " + r.name + " has REPLICATION", why);
        }
        if (r.rdsReplication) {
            return pass("role_replication", "role " + r.name + " is a member of rds_replication", why);
        }
        return fail(
                "role_replication",
                "role " + r.name + " has neither REPLICATION nor membership in rds_replication",
                why,
                "ALTER ROLE " + SqlIdentifiers.quote(r.name) + " WITH REPLICATION;  -- on Amazon RDS/Aurora: GRANT"
                        + " rds_replication TO " + SqlIdentifiers.quote(r.name) + ";");
    }

    private static ProbeCheck createPrivilegeCheck(Connection c) throws SQLException {
        String db = single(c, "SELECT current_database()");
        boolean ok = "t".equals(single(c, "SELECT has_database_privilege(current_database(), 'CREATE')"));
        String why = "CREATE PUBLICATION (and Recall's own schema for DDL capture) needs CREATE on the database";
        if (ok) {
            return pass("database_create", "CREATE on database " + db, why);
        }
        String user = single(c, "SELECT current_user");
        return fail(
                "database_create",
                "no CREATE privilege on database " + db,
                why,
                "GRANT CREATE ON DATABASE " + SqlIdentifiers.quote(db) + " TO " + SqlIdentifiers.quote(user) + ";");
    }

    /** A user table that could be captured. */
    private record Candidate(
            long oid, TableName name, char kind, char persistence, boolean partition, boolean owned, String owner) {}

    /** The outcome of table selection: the tables the publication will list. */
    private record TablePlan(List<TableName> publishable, List<Long> oids, Set<String> schemas) {}

    private TablePlan planTables(Connection c, TableSelection selection, List<ProbeCheck> checks) throws SQLException {
        List<Candidate> candidates = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relispartition,
                       pg_has_role(current_user, c.relowner, 'USAGE'), pg_get_userbyid(c.relowner)
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema', ?)
                   AND n.nspname NOT LIKE 'pg\\_%'
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
                 ORDER BY n.nspname, c.relname""")) {
            ps.setString(1, RECALL_SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates.add(new Candidate(
                            rs.getLong(1),
                            new TableName(rs.getString(2), rs.getString(3)),
                            rs.getString(4).charAt(0),
                            rs.getString(5).charAt(0),
                            rs.getBoolean(6),
                            rs.getBoolean(7),
                            rs.getString(8)));
                }
            }
        }

        // 1. selection
        List<Candidate> selected = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        if (selection.include().isEmpty()) {
            candidates.stream().filter(t -> !t.partition).forEach(selected::add);
        } else {
            Set<Long> seen = new LinkedHashSet<>();
            for (TablePattern p : selection.include()) {
                boolean any = false;
                for (Candidate t : candidates) {
                    // a wildcard takes partitioned roots, whose partitions come with them; a partition is taken
                    // only when named
                    if (p.matches(t.name) && (!p.isWildcard() || !t.partition)) {
                        any = true;
                        if (seen.add(t.oid)) {
                            selected.add(t);
                        }
                    }
                }
                if (!any) {
                    unmatched.add(p.toString());
                }
            }
        }
        selected.removeIf(t -> selection.excludes(t.name));
        List<String> unknownExcludes = selection.exclude().stream()
                .filter(p -> candidates.stream().noneMatch(t -> p.matches(t.name)))
                .map(TablePattern::toString)
                .toList();

        String selectionWhy =
                "Recall publishes an explicit list of tables (FOR TABLE), so each entry must name" + " existing tables";
        if (!unmatched.isEmpty()) {
            checks.add(fail(
                    "tables_selection",
                    "no table matches " + String.join(", ", unmatched),
                    selectionWhy,
                    "fix the names in \"tables\" (schema.table or schema.*; quote mixed-case names) or create the"
                            + " tables first"));
        } else if (selected.isEmpty()) {
            checks.add(fail(
                    "tables_selection",
                    "the selection leaves no table to capture",
                    selectionWhy,
                    "create the tables first, or widen \"tables\" / narrow \"excludeTables\""));
        } else {
            String found = selected.size() + " table(s) selected"
                    + (unknownExcludes.isEmpty()
                            ? ""
                            : "; excludeTables entries matching nothing: " + String.join(", ", unknownExcludes));
            checks.add(pass("tables_selection", found, selectionWhy));
        }

        // 2. unlogged tables cannot be published at all
        List<Candidate> unlogged =
                selected.stream().filter(t -> t.persistence == 'u').toList();
        if (!unlogged.isEmpty()) {
            checks.add(warn(
                    "tables_unlogged",
                    "unlogged, not captured: " + names(unlogged),
                    "unlogged tables write no WAL, so logical replication cannot see their changes; Recall leaves"
                            + " them out",
                    unlogged.stream()
                            .map(t -> "ALTER TABLE " + t.name.quoted() + " SET LOGGED;")
                            .collect(Collectors.joining(" "))));
            selected = selected.stream().filter(t -> t.persistence != 'u').toList();
        } else {
            checks.add(pass("tables_unlogged", "no unlogged table selected", "unlogged tables are not captured"));
        }

        // 3. ownership (FOR TABLE needs it)
        List<Candidate> notOwned = selected.stream().filter(t -> !t.owned).toList();
        String currentUser = single(c, "SELECT current_user");
        String ownWhy = "CREATE PUBLICATION ... FOR TABLE needs ownership of every listed table (Recall never uses"
                + " FOR ALL TABLES, which needs superuser and cannot exclude a table)";
        if (notOwned.isEmpty()) {
            checks.add(pass("tables_ownership", "the role owns every selected table", ownWhy));
        } else {
            checks.add(fail(
                    "tables_ownership",
                    "not owned by this role: "
                            + notOwned.stream()
                                    .map(t -> t.name + " (owner " + t.owner + ")")
                                    .collect(Collectors.joining(", ")),
                    ownWhy,
                    notOwned.stream()
                                    .map(t -> "ALTER TABLE " + t.name.quoted() + " OWNER TO "
                                            + SqlIdentifiers.quote(currentUser) + ";")
                                    .collect(Collectors.joining(" "))
                            + "  -- run as the current owner or a superuser; or register with the owner's role;"
                            + " or exclude these tables with \"excludeTables\": ["
                            + notOwned.stream().map(t -> "\"" + t.name + "\"").collect(Collectors.joining(", "))
                            + "]"));
        }

        List<Long> oids = selected.stream().map(Candidate::oid).toList();
        replicaIdentityCheck(c, oids, checks);
        partitionCheck(c, selected, checks);
        generatedColumnsCheck(c, oids, checks);

        Set<String> schemas = new LinkedHashSet<>();
        selected.forEach(t -> schemas.add(t.name.schema()));
        return new TablePlan(selected.stream().map(Candidate::name).toList(), oids, schemas);
    }

    private static String names(List<Candidate> ts) {
        return ts.stream().map(t -> t.name.toString()).collect(Collectors.joining(", "));
    }

    private static void replicaIdentityCheck(Connection c, List<Long> oids, List<ProbeCheck> checks)
            throws SQLException {
        record Leaf(TableName selected, TableName leaf, char identity, boolean pk, boolean riIndex, String candidate) {}
        List<Leaf> bad = new ArrayList<>();
        int leaves = 0;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT sn.nspname, sc.relname, n.nspname, c.relname, c.relreplident,
                       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident),
                       (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                         WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
                           AND i.indpred IS NULL AND i.indexprs IS NULL
                           AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                            WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
                                              AND NOT a.attnotnull)
                         ORDER BY ic.relname LIMIT 1)
                  FROM unnest(?::bigint[]) AS s(relid)
                  JOIN pg_class sc ON sc.oid = s.relid::oid
                  JOIN pg_namespace sn ON sn.oid = sc.relnamespace
                  -- pg_partition_tree() returns no rows for a plain table: a plain table is its own leaf
                  CROSS JOIN LATERAL (SELECT t.relid FROM pg_partition_tree(sc.oid) t
                                       WHERE sc.relkind = 'p' AND t.isleaf
                                      UNION ALL
                                      SELECT sc.oid WHERE sc.relkind <> 'p') AS leaf(relid)
                  JOIN pg_class c ON c.oid = leaf.relid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'r'
                 ORDER BY 3, 4""")) {
            ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    leaves++;
                    char identity = rs.getString(5).charAt(0);
                    boolean pk = rs.getBoolean(6);
                    boolean riIndex = rs.getBoolean(7);
                    boolean usable = identity == 'f' || (identity == 'd' && pk) || (identity == 'i' && riIndex);
                    if (!usable) {
                        bad.add(new Leaf(
                                new TableName(rs.getString(1), rs.getString(2)),
                                new TableName(rs.getString(3), rs.getString(4)),
                                identity,
                                pk,
                                riIndex,
                                rs.getString(8)));
                    }
                }
            }
        }
        String why = "a published table without a usable replica identity (primary key, REPLICA IDENTITY USING INDEX or"
                + " FULL) makes every UPDATE and DELETE on it FAIL at the source; Recall refuses to do that to a"
                + " production database";
        if (bad.isEmpty()) {
            checks.add(pass(
                    "replica_identity",
                    "every selected table (" + leaves + " incl. leaf partitions) has a usable replica identity",
                    why));
            return;
        }
        String found = "no usable replica identity: "
                + bad.stream()
                        .map(l -> l.leaf
                                + (l.leaf.equals(l.selected) ? "" : " (partition of " + l.selected + ")")
                                + (l.identity == 'n'
                                        ? " [REPLICA IDENTITY NOTHING]"
                                        : l.identity == 'i' ? " [index missing]" : " [no primary key]"))
                        .collect(Collectors.joining(", "));
        String fix = bad.stream()
                        .map(l -> "ALTER TABLE " + l.leaf.quoted() + " REPLICA IDENTITY "
                                + (l.candidate != null ? "USING INDEX " + SqlIdentifiers.quote(l.candidate) : "FULL")
                                + ";")
                        .collect(Collectors.joining(" "))
                + "  -- or add a primary key; or leave the tables out with \"excludeTables\": ["
                + bad.stream().map(l -> "\"" + l.selected + "\"").distinct().collect(Collectors.joining(", "))
                + "]";
        checks.add(fail("replica_identity", found, why, fix));
    }

    private static void partitionCheck(Connection c, List<Candidate> selected, List<ProbeCheck> checks)
            throws SQLException {
        List<Candidate> partitioned =
                selected.stream().filter(t -> t.kind == 'p').toList();
        String why = "a partitioned table is published per leaf partition (publish_via_partition_root = false):"
                + " present and future partitions are captured, and a TRUNCATE of one partition is too";
        if (partitioned.isEmpty()) {
            checks.add(pass("partitioned_tables", "no partitioned table selected", why));
        } else {
            checks.add(pass("partitioned_tables", "partitioned, captured per partition: " + names(partitioned), why));
        }
    }

    private static void generatedColumnsCheck(Connection c, List<Long> oids, List<ProbeCheck> checks)
            throws SQLException {
        List<String> cols = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, a.attname
                  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE a.attrelid = ANY (SELECT unnest(?::bigint[])::oid)
                   AND a.attgenerated <> '' AND NOT a.attisdropped AND a.attnum > 0
                 ORDER BY 1, 2, 3""")) {
            ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.add(new TableName(rs.getString(1), rs.getString(2)) + "." + rs.getString(3));
                }
            }
        }
        String why = "logical replication does not carry generated columns; a restore recomputes them from the other"
                + " columns";
        checks.add(pass(
                "generated_columns",
                cols.isEmpty() ? "no generated column" : "recomputed on restore: " + String.join(", ", cols),
                why));
    }

    private static ProbeCheck largeObjectCheck(Connection c) throws SQLException {
        long n = Long.parseLong(single(c, "SELECT count(*) FROM pg_largeobject_metadata"));
        String why = "logical replication does not carry large objects (pg_largeobject): their changes after the base"
                + " backup are not captured";
        if (n == 0) {
            return pass("large_objects", "no large objects", why);
        }
        return warn(
                "large_objects",
                n + " large object(s) in the database",
                why,
                "store such data in bytea columns of a captured table; large objects are restored only as of the"
                        + " base backup");
    }

    private static ProbeCheck ddlModeCheck(Role r) {
        String why = "schema changes are captured with event triggers when the role may create them (superuser on"
                + " PostgreSQL 13-17), otherwise derived from the stream and the catalog, exactly for most changes (see the"
                + " README's Schema changes)";
        if (r.superuser) {
            return pass(
                    "ddl_capture",
                    "superuser: DDL captured by event triggers (" + DdlCaptureMode.EVENT_TRIGGER + ")",
                    why);
        }
        return pass(
                "ddl_capture",
                "not a superuser: DDL derived from the stream and the catalog (" + DdlCaptureMode.FALLBACK + ")",
                why);
    }

    private static ProbeCheck logicalMessagesCheck(Server s) {
        String why = "pgoutput carries logical messages (used to order DDL records with the data) from PostgreSQL 14";
        if (s.major() >= 14) {
            return pass("logical_messages", "available (PostgreSQL " + s.major() + ")", why);
        }
        return pass(
                "logical_messages",
                "not available on PostgreSQL " + s.major() + ": DDL records travel in a Recall-owned table instead",
                why);
    }

    private static ProbeCheck sequencesCheck(Connection c, TablePlan plan) throws SQLException {
        List<String> unreadable = new ArrayList<>();
        int total = 0;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, has_sequence_privilege(c.oid, 'SELECT')
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'S' AND n.nspname = ANY (?)
                 ORDER BY 1, 2""")) {
            ps.setArray(1, c.createArrayOf("text", plan.schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    total++;
                    if (!rs.getBoolean(3)) {
                        unreadable.add(new TableName(rs.getString(1), rs.getString(2)).quoted());
                    }
                }
            }
        }
        String why = "sequences are not decoded; Recall reads their values periodically so a restore sets each one at"
                + " least as high as it was";
        if (unreadable.isEmpty()) {
            return pass("sequences", total + " sequence(s) in the selected schemas, all readable", why);
        }
        String user = single(c, "SELECT current_user");
        return warn(
                "sequences",
                "not readable: " + String.join(", ", unreadable),
                why + "; unreadable ones will be restored only from the base backup and the owning columns",
                "GRANT SELECT ON SEQUENCE " + String.join(", ", unreadable) + " TO " + SqlIdentifiers.quote(user)
                        + ";");
    }

    private static ProbeCheck slotKeepSizeCheck(Connection c) throws SQLException {
        long mb = Long.parseLong(single(c, "SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'"));
        String why =
                "a replication slot keeps WAL on the source until Recall confirms it; if capture stalls, WAL grows";
        if (mb < 0) {
            return warn(
                    "max_slot_wal_keep_size",
                    "max_slot_wal_keep_size = -1 (unlimited)",
                    why + ": with no cap, a stalled or paused source can fill the server's disk",
                    "ALTER SYSTEM SET max_slot_wal_keep_size = '50GB'; SELECT pg_reload_conf();  -- size it to your"
                            + " disk; past the cap the slot is invalidated and Recall records a gap and re-bases");
        }
        return pass(
                "max_slot_wal_keep_size",
                "max_slot_wal_keep_size = " + mb + " MB",
                why + "; past " + mb + " MB of lag the slot is invalidated, which Recall reports as a gap and answers"
                        + " with a new base backup");
    }

    /** Opens a replication connection and runs IDENTIFY_SYSTEM; returns the system identifier, or null. */
    private String replicationConnectionCheck(ConnectionString source, List<ProbeCheck> checks) {
        String why = "Recall streams changes over a replication connection (replication=database); transaction-mode"
                + " connection poolers do not support it";
        try (Connection rc = connect(source, true);
                Statement st = rc.createStatement();
                ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
            String systemId = rs.getString(1);
            checks.add(pass(
                    "replication_connection",
                    "IDENTIFY_SYSTEM answered: system " + systemId + ", timeline " + rs.getString(2),
                    why));
            return systemId;
        } catch (SQLException e) {
            String state = Optional.ofNullable(e.getSQLState()).orElse("");
            String msg = Optional.ofNullable(e.getMessage()).orElse(e.toString());
            String fix;
            if (state.startsWith("28") && msg.contains("pg_hba")) {
                fix = "add a pg_hba.conf line allowing replication connections for this role, e.g. 'host replication "
                        + source.user() + " <client-cidr> scram-sha-256', then SELECT pg_reload_conf();";
            } else if (state.startsWith("28") || state.equals("42501")) {
                fix = "ALTER ROLE " + SqlIdentifiers.quote(source.user()) + " WITH REPLICATION;";
            } else {
                fix = "connect Recall to the database server directly, not through a connection pooler (PgBouncer,"
                        + " Supavisor, RDS Proxy): e.g. Supabase's direct connection string on port 5432";
            }
            checks.add(fail(
                    "replication_connection",
                    "the endpoint refused a replication connection: " + msg
                            + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")"),
                    why,
                    fix));
            return null;
        }
    }

    private List<ProbeCheck> clientToolChecks(Server server) {
        List<ProbeCheck> out = new ArrayList<>();
        for (String name : List.of("pg_dump", "pg_restore")) {
            String id = name + "_version";
            String why = name + " must be at least as new as the server (" + server.major()
                    + ") to back it up and restore it";
            String fix = "install PostgreSQL " + server.major() + "+ client tools on the Recall host (e.g. apt-get"
                    + " install postgresql-client-" + Math.max(server.major(), 13)
                    + ") and point recall.tools.bin-dir at their bin directory";
            try {
                Optional<ClientTools.Tool> tool = tools.find(name);
                if (tool.isEmpty()) {
                    out.add(fail(id, name + " not found in " + tools.searchPath(), why, fix));
                } else if (tool.get().major() < server.major()) {
                    out.add(fail(
                            id, tool.get().path() + " is " + tool.get().major() + ", older than the server", why, fix));
                } else {
                    out.add(pass(id, tool.get().path() + ": " + tool.get().version(), why));
                }
            } catch (IllegalStateException e) {
                out.add(fail(id, e.getMessage(), why, fix));
            }
        }
        return out;
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
