package io.recall.coordinator.source;

import io.recall.common.SourceId;
import io.recall.common.errors.RetriableException;

/**
 * Kafka did not acknowledge a source's desired state (or tombstone) in time. The change itself is committed in the
 * metadata database, and the reconciler keeps publishing it; maps to 503.
 */
public class KafkaUnavailableException extends RetriableException {

    private final SourceId source;

    KafkaUnavailableException(SourceId source, String message, Throwable cause) {
        super(message, cause);
        this.source = source;
    }

    public SourceId source() {
        return source;
    }
}
