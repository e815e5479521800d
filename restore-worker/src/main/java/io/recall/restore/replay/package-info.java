/**
 * Replay of captured transactions into a target database restored from a base backup.
 *
 * <ol>
 *   <li>{@link io.recall.restore.replay.CutoffResolver} turns a {@link io.recall.restore.replay.RestoreTarget} (LSN,
 *       time, xid or xid8, restore point, latest) into a commit-LSN {@link io.recall.restore.replay.Cutoff} and picks
 *       the newest base backup at or below it;
 *   <li>{@link io.recall.restore.replay.TransactionReader} turns the stream of chunks, with its repeats and overlaps,
 *       into whole transactions, each once, in commit-LSN order, from the backup's consistent point to the cut-off;
 *   <li>{@link io.recall.restore.replay.ReplayEngine} applies them in batches: successive changes to a row collapse
 *       into its final image and each table is written per flush with one COPY and set-based statements, by a writer
 *       thread while the next batch is read. A progress row committed with every batch makes a stopped replay resume
 *       exactly after its last commit (I2).
 * </ol>
 *
 * The target must not have foreign keys, triggers, rules or row security on replayed tables while replay runs;
 * {@link io.recall.restore.base.BaseRestorer} restores them afterwards.
 */
package io.recall.restore.replay;
