package io.recall.coordinator.restore;

/**
 * Whether a restore replays across a schema change that fallback DDL capture could not rebuild exactly (an
 * approximate range of the source's recovery window), as the coordinator judged it when it accepted the job.
 *
 * @param approximate null when the coordinator did not judge: an xid target (only the worker resolves it to an LSN),
 *     or a job written straight to {@code recall.restore-jobs}
 * @param reason why the restore is approximate; null unless it is
 */
record Approximation(Boolean approximate, String reason) {

    static final Approximation NOT_JUDGED = new Approximation(null, null);
    static final Approximation EXACT = new Approximation(false, null);

    static Approximation because(String reason) {
        return new Approximation(true, reason);
    }
}
