package io.recall.coordinator.restore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;

/** How the restore listeners read a record keyed by restore id, and treat a failure to apply it. */
final class RestoreListeners {

    private static final Logger log = LoggerFactory.getLogger(RestoreListeners.class);

    private RestoreListeners() {}

    /** Avro's single-object decoding of one record type ({@code X::fromByteBuffer}). */
    interface Decoder<T> {
        T decode(ByteBuffer value) throws IOException;
    }

    /** Applies a readable record. */
    interface Apply<T> {
        void apply(UUID restoreId, T value, String where);
    }

    /**
     * Decodes the record and applies it with the job's id in the MDC ({@code job}).
     *
     * <p>A record that cannot be read (a key that is no restore id, a tombstone, a value that is not a {@code what},
     * a value naming another restore than its key) is logged and skipped. So is one whose application fails for good,
     * so that one bad record never stops the ones behind it. A transient metadata-database fault is rethrown: the
     * listener container retries the same record until the database is back, so no record is lost to it.
     */
    static <T> void consume(
            ConsumerRecord<String, byte[]> record,
            String what,
            Decoder<T> decoder,
            Function<T, String> restoreIdOf,
            Apply<T> apply) {
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        UUID id;
        T value;
        try {
            id = UUID.fromString(record.key());
            if (record.value() == null) {
                throw new IllegalArgumentException("a tombstone (null value) is not a " + what);
            }
            value = decoder.decode(ByteBuffer.wrap(record.value()));
            if (!id.toString().equals(restoreIdOf.apply(value))) {
                throw new IllegalArgumentException(
                        "the key " + id + " and the " + what + "'s restoreId " + restoreIdOf.apply(value) + " differ");
            }
        } catch (IOException | RuntimeException e) {
            log.warn("skipping unreadable {} at {}: {}", what, where, e.toString());
            return;
        }
        try (var ignored = MDC.putCloseable("job", id.toString())) {
            apply.apply(id, value, where);
        } catch (TransientDataAccessException
                | RecoverableDataAccessException
                | DataAccessResourceFailureException
                | CannotCreateTransactionException e) {
            log.warn(
                    "metadata database unavailable while applying the {} at {}; retrying: {}",
                    what,
                    where,
                    e.toString());
            throw e;
        } catch (RuntimeException e) {
            log.error("skipping the {} at {}, which could not be applied", what, where, e);
        }
    }
}
