package io.recall.worker.capture.pgoutput;

import java.util.List;

/**
 * Truncate message ({@code 'T'}): one {@code TRUNCATE} statement, covering every published relation it emptied
 * (including those reached through {@code CASCADE}).
 *
 * <p>Wire layout after the type byte: {@code Int32} number of relations, {@code Int8} option bits (1 =
 * {@code CASCADE}, 2 = {@code RESTART IDENTITY}), then one {@code Int32} relation OID per relation.
 *
 * @param relationIds the OIDs of the truncated relations, in the server's order
 * @param cascade option bit 1: {@code TRUNCATE ... CASCADE}
 * @param restartIdentity option bit 2: {@code TRUNCATE ... RESTART IDENTITY}
 */
public record Truncate(List<Integer> relationIds, boolean cascade, boolean restartIdentity) implements PgOutputMessage {

    public Truncate {
        relationIds = List.copyOf(relationIds);
    }
}
