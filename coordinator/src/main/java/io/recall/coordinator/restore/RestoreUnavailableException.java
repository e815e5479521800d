package io.recall.coordinator.restore;

import io.recall.common.errors.RetriableException;
import java.util.UUID;

/** Kafka did not acknowledge a restore command in time; maps to 503. The message says what became of the job. */
public class RestoreUnavailableException extends RetriableException {

    private final UUID restoreId;

    RestoreUnavailableException(UUID restoreId, String message, Throwable cause) {
        super(message, cause);
        this.restoreId = restoreId;
    }

    public UUID restoreId() {
        return restoreId;
    }
}
