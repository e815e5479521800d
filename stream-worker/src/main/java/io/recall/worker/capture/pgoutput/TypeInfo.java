package io.recall.worker.capture.pgoutput;

import java.util.Objects;

/**
 * Type message ({@code 'Y'}): names a data type that is not built in (OID 10000 or above), sent before the
 * {@link Relation} whose columns use it.
 *
 * <p>Wire layout after the type byte: {@code Int32} type OID, {@code String} namespace, {@code String} type name.
 *
 * <p>For a domain, PostgreSQL sends the domain's OID but the namespace and name of the domain's <em>base</em> type:
 * a domain {@code posint} over {@code integer} arrives as OID of {@code posint}, schema {@code ""}, name
 * {@code "int4"}.
 *
 * @param typeOid the type's OID as used in {@link Relation.Column#typeOid()} (unsigned 32-bit kept in an {@code int})
 * @param schema the namespace; the empty string for {@code pg_catalog}
 * @param name the type name ({@code pg_type.typname})
 */
public record TypeInfo(int typeOid, String schema, String name) implements PgOutputMessage {

    public TypeInfo {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }
}
