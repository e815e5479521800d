package io.recall.worker.capture.pgoutput;

import java.util.List;
import java.util.Objects;

/**
 * Relation message ({@code 'R'}): the definition of a published table, which later changes refer to by
 * {@link #relationId()}.
 *
 * <p>The server sends it before the first change to the table in a replication session and again whenever its cached
 * definition is invalidated (after DDL, but also after a {@code TRUNCATE}), so a consumer keeps the latest one per
 * relation id.
 *
 * <p>Wire layout after the type byte: {@code Int32} relation OID, {@code String} namespace, {@code String} relation
 * name, {@code Int8} replica identity, {@code Int16} column count, then per column {@code Int8} flags, {@code String}
 * name, {@code Int32} type OID, {@code Int32} type modifier.
 *
 * @param relationId the table's OID (an unsigned 32-bit value kept in an {@code int}; see
 *     {@link Integer#toUnsignedLong(int)})
 * @param schema the namespace; the empty string for {@code pg_catalog}
 * @param table the table name
 * @param replicaIdentity {@code pg_class.relreplident}: {@link #REPLICA_IDENTITY_DEFAULT 'd'} (primary key),
 *     {@link #REPLICA_IDENTITY_NOTHING 'n'}, {@link #REPLICA_IDENTITY_FULL 'f'} (all columns) or
 *     {@link #REPLICA_IDENTITY_INDEX 'i'} (a chosen unique index)
 * @param columns the published columns in table order, without dropped and generated columns; tuples of later changes
 *     to this relation have one value per column, in this order
 */
public record Relation(int relationId, String schema, String table, char replicaIdentity, List<Column> columns)
        implements PgOutputMessage {

    /** Replica identity {@code DEFAULT}: the primary key, if any. */
    public static final char REPLICA_IDENTITY_DEFAULT = 'd';
    /** Replica identity {@code NOTHING}: no old values; updates and deletes cannot be published. */
    public static final char REPLICA_IDENTITY_NOTHING = 'n';
    /** Replica identity {@code FULL}: the whole old row; every column is then flagged as key. */
    public static final char REPLICA_IDENTITY_FULL = 'f';
    /** Replica identity {@code USING INDEX}: the columns of a chosen unique index. */
    public static final char REPLICA_IDENTITY_INDEX = 'i';

    public Relation {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
        if (!isReplicaIdentity(replicaIdentity)) {
            throw new IllegalArgumentException("unknown replica identity '" + replicaIdentity + "'");
        }
        columns = List.copyOf(columns);
    }

    /** Whether {@code value} is one of the four {@code relreplident} codes. */
    public static boolean isReplicaIdentity(char value) {
        return value == REPLICA_IDENTITY_DEFAULT
                || value == REPLICA_IDENTITY_NOTHING
                || value == REPLICA_IDENTITY_FULL
                || value == REPLICA_IDENTITY_INDEX;
    }

    /**
     * One published column.
     *
     * @param key flag bit 1 on the wire: the column is part of the replica identity (with {@code FULL}, every
     *     column)
     * @param name the column name
     * @param typeOid the OID of the column's type ({@code atttypid}; for a domain, the domain's OID), unsigned 32-bit
     *     kept in an {@code int}
     * @param typeModifier {@code atttypmod}: -1 when the type has none; e.g. {@code varchar(40)} is 44 (the length
     *     plus the 4-byte varlena header), {@code numeric(10,2)} is {@code (10 << 16 | 2) + 4}
     */
    public record Column(boolean key, String name, int typeOid, int typeModifier) {

        public Column {
            Objects.requireNonNull(name, "name");
        }
    }
}
