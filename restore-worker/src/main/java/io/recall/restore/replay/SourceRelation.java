package io.recall.restore.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A table as the captured stream describes it (pgoutput's Relation message): the columns pgoutput sends, in order
 * (generated columns are never sent), which of them form the replica-identity key, and the replica-identity kind.
 * Immutable; equal when every part is equal, so a changed definition (DDL on the source) is noticed.
 */
public final class SourceRelation {

    /**
     * A sent column; {@code key} marks replica-identity key columns (every column under REPLICA IDENTITY FULL).
     * {@code typeName} is the schema-qualified name pgoutput gave a type that is not built in (null otherwise).
     */
    public record Column(String name, int typeOid, int typeModifier, String typeName, boolean key) {
        public Column {
            Objects.requireNonNull(name, "name");
        }

        public Column(String name, int typeOid, boolean key) {
            this(name, typeOid, -1, null, key);
        }
    }

    private final int relationId;
    private final String schema;
    private final String table;
    private final char replicaIdentity;
    private final List<Column> columns;
    private final int[] keyIndexes;
    private final int hash;

    /**
     * @param replicaIdentity {@code d} (default: the primary key), {@code i} (an index), {@code f} (full row) or
     *     {@code n} (nothing)
     */
    public SourceRelation(int relationId, String schema, String table, char replicaIdentity, List<Column> columns) {
        if ("dfin".indexOf(replicaIdentity) < 0) {
            throw new IllegalArgumentException("unknown replica identity '" + replicaIdentity + "'");
        }
        this.relationId = relationId;
        this.schema = Objects.requireNonNull(schema, "schema");
        this.table = Objects.requireNonNull(table, "table");
        this.replicaIdentity = replicaIdentity;
        this.columns = List.copyOf(columns);
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < this.columns.size(); i++) {
            if (this.columns.get(i).key()) {
                keys.add(i);
            }
        }
        this.keyIndexes = keys.stream().mapToInt(Integer::intValue).toArray();
        this.hash = Objects.hash(relationId, schema, table, replicaIdentity, this.columns);
    }

    public int relationId() {
        return relationId;
    }

    public String schema() {
        return schema;
    }

    public String table() {
        return table;
    }

    public char replicaIdentity() {
        return replicaIdentity;
    }

    public List<Column> columns() {
        return columns;
    }

    /** Positions of the key columns in {@link #columns()} (a copy). */
    public int[] keyIndexes() {
        return keyIndexes.clone();
    }

    int keyIndex(int i) {
        return keyIndexes[i];
    }

    int keyCount() {
        return keyIndexes.length;
    }

    /**
     * Whether a row is found by a unique key: REPLICA IDENTITY DEFAULT or INDEX with key columns. A FULL identity
     * marks every column as key but promises no uniqueness (two rows may be equal), and a table without a key
     * publishes only inserts.
     */
    public boolean hasUniqueKey() {
        return (replicaIdentity == 'd' || replicaIdentity == 'i') && keyIndexes.length > 0;
    }

    /** Whether updates and deletes carry the whole old row (REPLICA IDENTITY FULL). */
    public boolean isFullIdentity() {
        return replicaIdentity == 'f';
    }

    /** {@code schema.table} as written, for messages. */
    public String displayName() {
        return schema + "." + table;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof SourceRelation r
                && r.hash == hash
                && r.relationId == relationId
                && r.replicaIdentity == replicaIdentity
                && r.schema.equals(schema)
                && r.table.equals(table)
                && r.columns.equals(columns);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return displayName() + "(" + relationId + ", identity " + replicaIdentity + ", " + columns.size() + " columns)";
    }
}
