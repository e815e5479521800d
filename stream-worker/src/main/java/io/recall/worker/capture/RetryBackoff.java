package io.recall.worker.capture;

import java.time.Duration;

/**
 * How long a capture waits before it starts its next session: quick failures in a row back off exponentially up to a
 * maximum, and a session that made progress (it streamed, or it ran longer than the maximum wait) starts the next one
 * at the initial wait again, so that a walsender dropped now and then is picked up again at once. Not thread-safe.
 */
final class RetryBackoff {

    private final long initialMillis;
    private final long maxMillis;
    private long nextMillis;

    RetryBackoff(Duration initial, Duration max) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = Math.max(initialMillis, max.toMillis());
        this.nextMillis = initialMillis;
    }

    /** The wait after a session ended; {@code progressed} when it streamed or ran for longer than the maximum wait. */
    long after(boolean progressed) {
        if (progressed) {
            nextMillis = initialMillis;
        }
        long wait = nextMillis;
        nextMillis = Math.min(nextMillis * 2, maxMillis);
        return wait;
    }

    long maxMillis() {
        return maxMillis;
    }
}
