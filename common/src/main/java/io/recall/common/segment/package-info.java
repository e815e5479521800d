/**
 * The segment file format: how a source's change stream is archived in the blob store, written by the stream
 * worker's sink and read by restore and by a catalog rebuild.
 *
 * <h2>Format</h2>
 *
 * A segment is an Avro object container file, compressed block by block with the {@code zstandard} codec, that holds
 * the change-stream records as capture published them on {@code recall.changes}
 * ({@link io.recall.schemas.change.ChangeEnvelope}: transaction chunks, heartbeats, sequence snapshots). In format
 * version 2 each of its records is a {@link io.recall.schemas.segment.SegmentBlock}: a run of change records stored
 * column by column (each distinct relation definition once, header fields as deltas, the values of one table column
 * together), which compresses far better than the records one after the other; each block is one compressed Avro
 * block. Version 1 files, whose records are the change records themselves, are still read. The writer's schema is in
 * the file header, so a file stays readable after the schema evolves. The header's metadata
 * ({@link io.recall.common.segment.SegmentMetadata}) repeats what the catalog records about the segment, so the
 * catalog can be rebuilt from storage alone. Files are named by {@link io.recall.common.segment.SegmentName}:
 * {@code sources/{sourceId}/segments/{firstLsn}-{lastLsn}.avro} with 16 zero-padded upper-case hex digits, so names
 * sort in LSN order.
 *
 * <h2>What a segment holds, and what a reader must expect</h2>
 *
 * <ul>
 *   <li>One source's records, in the order capture published them (commit-LSN order).
 *   <li>The sink ends a segment only at a transaction boundary: all chunks of a transaction are in one segment (a
 *       transaction larger than the size limit makes one larger segment).
 *   <li>Duplicates. After a crash of a capture worker, a transaction may appear twice, and the first copy may be an
 *       abandoned prefix (chunks {@code 0..k} without the last chunk) followed by the complete copy. After a crash of
 *       a sink, the same transactions may be stored twice, in one object written again or in two overlapping objects.
 *       Readers apply a transaction once: only from a complete run of chunks {@code 0..lastChunk} with one commit
 *       LSN, skipping commit LSNs already applied (invariant I2).
 *   <li>Segments without transactions: an idle source's heartbeats and sequence snapshots are archived too, so its
 *       archived watermark moves and survives a catalog rebuild.
 * </ul>
 *
 * <h2>Threads</h2>
 *
 * {@link io.recall.common.segment.SegmentWriter}, {@link io.recall.common.segment.SealedSegment} and
 * {@link io.recall.common.segment.SegmentReader} are used by one thread at a time; the value types are immutable.
 */
package io.recall.common.segment;
