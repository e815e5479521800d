package io.recall.restore.replay;

/** Running totals of one replay; written by the replay's thread only. */
final class ReplayCounters {
    long copied;
    long updated;
    long deleted;
    long truncates;
    long statements;
    long flushes;
    long commits;
    long rewrites;
    long schemaChanges;
    long approximateRepairs;
    /** Time spent in flushes and commits: waiting for the target. */
    long writeNanos;
}
