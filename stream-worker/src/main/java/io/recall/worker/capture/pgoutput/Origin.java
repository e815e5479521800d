package io.recall.worker.capture.pgoutput;

import io.recall.common.Lsn;
import java.util.Objects;

/**
 * Origin message ({@code 'O'}): the transaction was replayed under a named replication origin. Sent right after the
 * {@link Begin}; protocol version 1 allows more than one per transaction.
 *
 * <p>Wire layout after the type byte: {@code Int64} origin LSN, {@code String} origin name.
 *
 * @param originLsn the LSN of the commit on the origin server
 * @param name the replication origin's name ({@code pg_replication_origin.roname})
 */
public record Origin(Lsn originLsn, String name) implements PgOutputMessage {

    public Origin {
        Objects.requireNonNull(originLsn, "originLsn");
        Objects.requireNonNull(name, "name");
    }
}
