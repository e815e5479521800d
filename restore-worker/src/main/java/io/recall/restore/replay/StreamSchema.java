package io.recall.restore.replay;

import static io.recall.common.pg.SqlIdentifiers.quote;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tables and columns made from the stream's own description of them (pgoutput Relation messages), where the target
 * lacks them: what a restore can do across a schema change that the fallback DDL capture saw only approximately (a
 * table it found by polling the catalog, a change made while no derived record was written). The result has the
 * stream's columns and types and a primary key on the replica-identity key, no defaults or other constraints; a
 * restore to a target outside the approximate ranges never needs it (event triggers and derived records create what
 * the stream uses first).
 */
final class StreamSchema {

    private static final Logger log = LoggerFactory.getLogger(StreamSchema.class);

    private StreamSchema() {}

    static void createTable(Connection connection, SourceRelation relation) throws SQLException {
        List<String> parts = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (SourceRelation.Column c : relation.columns()) {
            parts.add(quote(c.name()) + " " + type(connection, c));
            if (c.key()) {
                keys.add(quote(c.name()));
            }
        }
        if (relation.replicaIdentity() != 'f' && !keys.isEmpty()) {
            parts.add("PRIMARY KEY (" + String.join(", ", keys) + ")");
        }
        String sql = "CREATE TABLE " + io.recall.common.pg.SqlIdentifiers.qualified(relation.schema(), relation.table())
                + " (" + String.join(", ", parts) + ")";
        log.warn(
                "the target has no table {}: creating it from the stream's description (approximate): {}",
                relation.displayName(),
                sql);
        run(connection, sql);
        if (relation.replicaIdentity() == 'f') {
            run(
                    connection,
                    "ALTER TABLE " + io.recall.common.pg.SqlIdentifiers.qualified(relation.schema(), relation.table())
                            + " REPLICA IDENTITY FULL");
        }
    }

    static void addColumns(Connection connection, SourceRelation relation, Collection<String> existing)
            throws SQLException {
        for (SourceRelation.Column c : relation.columns()) {
            if (!existing.contains(c.name())) {
                String sql = "ALTER TABLE "
                        + io.recall.common.pg.SqlIdentifiers.qualified(relation.schema(), relation.table())
                        + " ADD COLUMN " + quote(c.name()) + " " + type(connection, c);
                log.warn(
                        "the target's {} lacks column {} of the stream: adding it (approximate; older rows read"
                                + " NULL)",
                        relation.displayName(),
                        c.name());
                run(connection, sql);
            }
        }
    }

    private static String type(Connection connection, SourceRelation.Column c) throws SQLException {
        if (c.typeName() != null) {
            // pgoutput names a type that is not built in as schema.name
            int dot = c.typeName().indexOf('.');
            return dot < 0
                    ? quote(c.typeName())
                    : quote(c.typeName().substring(0, dot)) + "."
                            + quote(c.typeName().substring(dot + 1));
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.format_type(?, ?)")) {
            ps.setInt(1, c.typeOid());
            ps.setInt(2, c.typeModifier());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static void run(Connection connection, String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }
}
