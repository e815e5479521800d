/**
 * The restore worker's job intake and the job itself.
 *
 * <ul>
 *   <li>{@link io.recall.restore.job.JobRunner} runs {@code recall.restore.concurrency} {@link
 *       io.recall.restore.job.JobLoop}s, each a member of the consumer group {@code recall-restore-workers} on
 *       {@code recall.restore-jobs} that runs one job at a time with its partitions paused, and commits the job's
 *       record only once its end is reported;
 *   <li>{@link io.recall.restore.job.RestoreJob} validates, restores the base backup, replays the segments, sets the
 *       sequences and verifies, reporting {@code RestoreEvent}s ({@link io.recall.restore.job.JobEvents}) on
 *       {@code recall.restore-events};
 *   <li>{@link io.recall.restore.job.TargetDatabase} fences the target with an advisory lock and keeps the job's
 *       {@link io.recall.restore.job.JobMarker} in the target database's comment, which makes a job delivered again
 *       harmless;
 *   <li>{@link io.recall.restore.job.StoredSource} and {@link io.recall.restore.job.SegmentStream} read what storage
 *       holds of the source (backups, gaps, restore points, segments), as a catalog rebuild would.
 * </ul>
 */
package io.recall.restore.job;
