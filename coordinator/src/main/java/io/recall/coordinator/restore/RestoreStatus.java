package io.recall.coordinator.restore;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of a restore job, and the transitions allowed within one attempt of it.
 *
 * <p>A job is {@code QUEUED} until a restore worker takes it, {@code RUNNING} while it restores, and ends
 * {@code SUCCEEDED}, {@code FAILED} or {@code CANCELLED}. Within one attempt an end is final. A worker that restarts a
 * job after another died reports a higher attempt, and that attempt starts the lifecycle again from any state
 * ({@link #accepts}).
 */
public enum RestoreStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    /** Allowed moves within one attempt; staying put (a progress report) is always allowed from a live state. */
    private static final Map<RestoreStatus, Set<RestoreStatus>> TRANSITIONS = Map.of(
            QUEUED, EnumSet.of(QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED),
            // a worker may report QUEUED again while it waits (e.g. for the sinks to seal what the target needs)
            RUNNING, EnumSet.of(RUNNING, QUEUED, SUCCEEDED, FAILED, CANCELLED),
            SUCCEEDED, EnumSet.noneOf(RestoreStatus.class),
            FAILED, EnumSet.noneOf(RestoreStatus.class),
            CANCELLED, EnumSet.noneOf(RestoreStatus.class));

    public boolean isTerminal() {
        return TRANSITIONS.get(this).isEmpty();
    }

    /** Whether a job in this state may move to {@code next} within the same attempt. */
    public boolean canMoveTo(RestoreStatus next) {
        return TRANSITIONS.get(this).contains(next);
    }

    /**
     * Whether a worker's report of {@code next} at {@code reportedAttempt} applies to a job in this state at
     * {@code storedAttempt}: reports of an older attempt never do; a newer attempt always does (the job was restarted);
     * the same attempt does when {@link #canMoveTo} allows it, so nothing changes a job that ended.
     *
     * @param storedAttempt the attempt recorded so far; 0 while no worker has reported
     */
    public boolean accepts(RestoreStatus next, int reportedAttempt, int storedAttempt) {
        if (reportedAttempt != storedAttempt) {
            return reportedAttempt > storedAttempt;
        }
        return canMoveTo(next);
    }
}
