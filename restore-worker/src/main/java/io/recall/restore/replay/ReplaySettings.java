package io.recall.restore.replay;

/**
 * How a {@link ReplayEngine} batches. Larger batches collapse more changes and commit less often; memory is bounded by
 * about twice {@code maxPendingBytes} whatever the batch size (one batch being written, the next being collected),
 * since pending rows are flushed (without committing) when they reach it.
 *
 * @param transactionsPerCommit source transactions applied per target transaction
 * @param changesPerCommit row changes per target transaction: a commit follows the source transaction that reaches it
 * @param maxPendingBytes estimated memory of collapsed rows not yet written; reaching it flushes them into the open
 *     target transaction, even inside a source transaction
 */
public record ReplaySettings(int transactionsPerCommit, int changesPerCommit, long maxPendingBytes) {

    public ReplaySettings {
        if (transactionsPerCommit < 1) {
            throw new IllegalArgumentException("transactionsPerCommit must be at least 1: " + transactionsPerCommit);
        }
        if (changesPerCommit < 1) {
            throw new IllegalArgumentException("changesPerCommit must be at least 1: " + changesPerCommit);
        }
        if (maxPendingBytes < 1024) {
            throw new IllegalArgumentException("maxPendingBytes must be at least 1024: " + maxPendingBytes);
        }
    }

    /** 10,000 transactions or 200,000 changes per commit, 128 MiB of pending rows. */
    public static ReplaySettings defaults() {
        return new ReplaySettings(10_000, 200_000, 128L << 20);
    }
}
