package io.recall.worker.capture.pgoutput;

/**
 * One logical replication message of {@code pgoutput} protocol version 1, as carried by one XLogData payload (or one
 * row of {@code pg_logical_slot_get_binary_changes}).
 *
 * <p>Within a transaction the server sends {@link Begin}, optionally {@link Origin}, then {@link Relation} and
 * {@link TypeInfo} messages ahead of the first change that needs them, the changes ({@link Insert}, {@link Update},
 * {@link Delete}, {@link Truncate}, transactional {@link LogicalMessage}s) and finally {@link Commit}. Non-transactional
 * {@link LogicalMessage}s arrive on their own, outside any Begin/Commit pair.
 *
 * <p>All implementations are immutable records and therefore thread-safe.
 */
public sealed interface PgOutputMessage
        permits Begin, Commit, Origin, Relation, TypeInfo, Insert, Update, Delete, Truncate, LogicalMessage {}
