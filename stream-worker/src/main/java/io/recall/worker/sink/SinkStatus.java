package io.recall.worker.sink;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the sink is doing, for metrics and logs: written by the sink loop's thread, read from any thread. A storage
 * outage shows as a growing {@link #waitingSegments()} and a {@link #lastFailure()}.
 */
final class SinkStatus {

    private volatile int openSegments;
    private volatile int waitingSegments;
    private volatile long waitingBytes;
    private final AtomicLong storedSegments = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private volatile String lastFailure;
    private volatile Instant lastFailureAt;

    void update(OpenSegments segments) {
        openSegments = segments.open().size();
        waitingSegments = segments.sealed().size();
        waitingBytes = segments.sealedBytes();
    }

    void stored() {
        storedSegments.incrementAndGet();
    }

    void failed(Exception e) {
        failedAttempts.incrementAndGet();
        lastFailure = e.toString();
        lastFailureAt = Instant.now();
    }

    /** Segments being written. */
    int openSegments() {
        return openSegments;
    }

    /** Sealed segments not yet stored and announced. */
    int waitingSegments() {
        return waitingSegments;
    }

    /** Local disk those take. */
    long waitingBytes() {
        return waitingBytes;
    }

    /** Segments stored and announced since start. */
    long storedSegments() {
        return storedSegments.get();
    }

    /** Failed attempts to store or announce a segment since start. */
    long failedAttempts() {
        return failedAttempts.get();
    }

    /** The last failure to store or announce a segment, or {@code null}. */
    String lastFailure() {
        return lastFailure;
    }

    Instant lastFailureAt() {
        return lastFailureAt;
    }
}
