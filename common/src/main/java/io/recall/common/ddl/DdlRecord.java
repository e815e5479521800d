package io.recall.common.ddl;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One DDL command as Recall's event trigger recorded it ({@value DdlCapture#DDL_PREFIX} message): every object it
 * touched with its catalog state before and after.
 *
 * @param tag the command tag of the statement (e.g. {@code ALTER TABLE})
 * @param ordinal position among the DDL records of its transaction, from 0
 * @param objects in the order the command reported them (a sequence a table's column uses comes before the table)
 * @param notes what the trigger did about publications (a new table joining, or left out for lack of a key)
 * @param rewritten relations whose rows the command rewrote; their new rows follow as {@link RowsRecord}s
 * @param dropped constraints, triggers, policies and rules the command dropped (with their table or column, or
 *     on their own)
 * @param approximate set by the fallback capture (no event triggers) when it derived the change and cannot rebuild
 *     it exactly: why; null when exact
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DdlRecord(
        int version,
        String tag,
        int ordinal,
        List<DdlObject> objects,
        List<Note> notes,
        List<RelName> rewritten,
        String approximate,
        List<Dependent> dropped) {

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public DdlRecord {
        objects = objects == null ? List.of() : List.copyOf(objects);
        notes = notes == null ? List.of() : List.copyOf(notes);
        rewritten = rewritten == null ? List.of() : List.copyOf(rewritten);
        dropped = dropped == null ? List.of() : List.copyOf(dropped);
    }

    /**
     * Something that hung off a table and went with a drop: a constraint, trigger, policy or rule.
     *
     * @param type as {@code pg_event_trigger_dropped_objects()} names it: table constraint, trigger, policy, rule
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Dependent(String type, String schema, String table, String name) {}

    /** The record as the JSON the trigger writes (the fallback capture writes its derived records this way). */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a catalog state as {@code _recall.relation_state} writes it. */
    public static ObjectState parseState(String json) {
        try {
            return JSON.readValue(json, ObjectState.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed catalog state: " + e.getMessage(), e);
        }
    }

    public static DdlRecord parse(byte[] content) {
        try {
            DdlRecord r = JSON.readValue(content, DdlRecord.class);
            if (r.version() != 1) {
                throw new IllegalArgumentException("DDL record version " + r.version() + " is newer than this Recall"
                        + " reads (1): upgrade the restore workers");
            }
            return r;
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "malformed DDL record: " + e.getMessage() + ": "
                            + new String(content, 0, Math.min(content.length, 200), StandardCharsets.UTF_8),
                    e);
        }
    }

    /** A schema-qualified relation name. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RelName(String schema, String name) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Note(String publication, String table, String note) {}

    /**
     * One object of the command.
     *
     * @param type as {@code pg_event_trigger_ddl_commands()} names it: table, table column, index, sequence, schema,
     *     view, function, ...
     * @param oid the object's oid on the source (absent in drop records)
     * @param action CREATE, ALTER or DROP
     * @param before the state recorded after the previous command that touched it; null for a new object, or one
     *     Recall never saw
     * @param after null for a drop, and for object kinds Recall does not model
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DdlObject(
            String type, Long oid, String identity, String tag, String action, ObjectState before, ObjectState after) {

        /** Whether a restore rebuilds this change (its object kind is modelled). */
        public boolean replayable() {
            return before != null || after != null;
        }
    }

    /** The catalog state of one object, told apart by {@code kind} (pg_class.relkind, or "schema"). */
    @JsonTypeInfo(
            use = JsonTypeInfo.Id.NAME,
            property = "kind",
            include = JsonTypeInfo.As.EXISTING_PROPERTY,
            visible = true)
    @JsonSubTypes({
        @JsonSubTypes.Type(
                value = TableState.class,
                names = {"r", "p"}),
        @JsonSubTypes.Type(
                value = IndexState.class,
                names = {"i", "I"}),
        @JsonSubTypes.Type(value = SequenceState.class, name = "S"),
        @JsonSubTypes.Type(value = SchemaState.class, name = "schema"),
        @JsonSubTypes.Type(
                value = TypeState.class,
                names = {"enum", "domain", "composite", "type"})
    })
    public sealed interface ObjectState permits TableState, IndexState, SequenceState, SchemaState, TypeState {
        String kind();

        /** The schema the object is in; for a schema, its own name. */
        String schema();

        String name();
    }

    /** A table ({@code r}) or partitioned table ({@code p}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TableState(
            String kind,
            String schema,
            String name,
            boolean unlogged,
            List<Column> columns,
            List<Constraint> constraints,
            String replicaIdentity,
            String replicaIdentityIndex,
            String partitionKey,
            RelName parent,
            String bound)
            implements ObjectState {

        public TableState {
            columns = columns == null ? List.of() : List.copyOf(columns);
            constraints = constraints == null ? List.of() : List.copyOf(constraints);
        }

        public boolean partitioned() {
            return "p".equals(kind);
        }
    }

    /**
     * A column.
     *
     * @param num attnum on the source: it stays when a column is renamed, which is how a rename is told from a drop
     *     and an add
     * @param type {@code format_type} output, schema-qualified where needed
     * @param collation qualified collation name when it is not the type's default
     * @param identity {@code a} (always) or {@code d} (by default) for identity columns
     * @param generated the expression of a stored generated column
     * @param local false for a column a partition inherits from its parent
     * @param missing the value rows older than a fast-default ADD COLUMN read, as text; null when there is none
     * @param typeOid the type's oid on the source (pg_attribute.atttypid), as pgoutput's Relation message names it
     * @param typmod the type modifier (pg_attribute.atttypmod)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Column(
            int num,
            String name,
            String type,
            String collation,
            boolean notNull,
            @JsonProperty("default") String defaultExpr,
            String generated,
            String identity,
            String identitySequence,
            boolean local,
            String missing,
            Long typeOid,
            Integer typmod) {

        @JsonCreator
        static Column of(
                @JsonProperty("num") int num,
                @JsonProperty("name") String name,
                @JsonProperty("type") String type,
                @JsonProperty("collation") String collation,
                @JsonProperty("notNull") boolean notNull,
                @JsonProperty("default") String defaultExpr,
                @JsonProperty("generated") String generated,
                @JsonProperty("identity") String identity,
                @JsonProperty("identitySequence") String identitySequence,
                @JsonProperty("local") Boolean local,
                @JsonProperty("missing") String missing,
                @JsonProperty("typeOid") Long typeOid,
                @JsonProperty("typmod") Integer typmod) {
            return new Column(
                    num,
                    name,
                    type,
                    collation,
                    notNull,
                    defaultExpr,
                    generated,
                    identity,
                    identitySequence,
                    local == null || local,
                    missing,
                    typeOid,
                    typmod);
        }
    }

    /**
     * A constraint defined on the table itself (not inherited).
     *
     * @param type pg_constraint.contype: p, u, c, f, x, t
     * @param def {@code pg_get_constraintdef} output
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Constraint(String name, String type, String def) {}

    /**
     * An index.
     *
     * @param def {@code pg_get_indexdef} output, with qualified names
     * @param constraint whether a constraint owns it (it comes and goes with the constraint)
     * @param partitionChild an index of a partition, attached to its parent's index (created with it)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record IndexState(
            String kind,
            String schema,
            String name,
            RelName table,
            String def,
            boolean constraint,
            boolean partitionChild)
            implements ObjectState {}

    /** A sequence; {@code identity} when it belongs to an identity column (the column creates and names it). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SequenceState(
            String kind,
            String schema,
            String name,
            String type,
            long start,
            long increment,
            long min,
            long max,
            long cache,
            boolean cycle,
            boolean identity,
            Owner ownedBy)
            implements ObjectState {}

    /** The column a sequence is owned by (serial columns). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Owner(String schema, String table, String column) {}

    /**
     * A user-defined type: {@code enum} (its labels in order), {@code domain} (base type, NOT NULL, default, CHECK
     * constraints) or {@code composite} (its attributes); {@code type} in a drop record of a type Recall never saw.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TypeState(
            String kind,
            String schema,
            String name,
            List<String> labels,
            String baseType,
            boolean notNull,
            @JsonProperty("default") String defaultExpr,
            List<Check> checks,
            List<Attribute> attributes)
            implements ObjectState {

        public TypeState {
            labels = labels == null ? List.of() : List.copyOf(labels);
            checks = checks == null ? List.of() : List.copyOf(checks);
            attributes = attributes == null ? List.of() : List.copyOf(attributes);
        }
    }

    /** A domain's CHECK constraint. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Check(String name, String def) {}

    /** An attribute of a composite type; {@code num} stays when it is renamed. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Attribute(int num, String name, String type) {}

    /** A schema; {@link #schema()} is its name too. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SchemaState(String kind, String name) implements ObjectState {
        @Override
        public String schema() {
            return name;
        }
    }
}
