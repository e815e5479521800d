package io.recall.restore.replay;

import java.time.Duration;
import java.util.Optional;

/**
 * What a replay did.
 *
 * @param restoredTo the last transaction the target now holds (applied by this run or an earlier one); empty when
 *     nothing after the base backup was applied
 * @param transactions source transactions applied by this run
 * @param changes row changes (and truncates) read by this run
 * @param rowsCopied rows written by COPY (new rows and rows rewritten after a key change)
 * @param rowsUpdated rows updated in place
 * @param rowsDeleted rows deleted
 * @param statements statements sent (COPY counts as one)
 * @param commits target transactions committed
 * @param elapsed the whole run
 * @param writing the part of {@code elapsed} spent writing to the target (flushes and commits); the rest is reading
 *     the stream and collapsing changes
 * @param schemaChanges recorded schema changes (DDL records) applied
 * @param approximateRepairs tables or columns the target lacked and replay made from the stream's own description
 *     ({@link StreamSchema}); non-zero only across a schema change the fallback capture saw approximately
 */
public record ReplayResult(
        Optional<CommitHeader> restoredTo,
        long transactions,
        long changes,
        long rowsCopied,
        long rowsUpdated,
        long rowsDeleted,
        long truncates,
        long statements,
        long commits,
        Duration elapsed,
        Duration writing,
        long schemaChanges,
        long approximateRepairs) {

    /** Source row changes applied per second of this run. */
    public double changesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s == 0 ? 0 : changes / s;
    }
}
