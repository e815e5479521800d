package io.recall.common.segment;

import io.recall.schemas.segment.ChangeColumns;
import io.recall.schemas.segment.ChunkColumns;
import io.recall.schemas.segment.HeartbeatColumns;
import io.recall.schemas.segment.LargeValuePartColumns;
import io.recall.schemas.segment.SegmentBlock;
import io.recall.schemas.segment.SequenceColumns;
import java.util.function.Function;
import org.apache.avro.Schema;

/**
 * The {@code bytes} columns of a {@link SegmentBlock} (all but its value columns), each named once for both directions:
 * {@link ColumnWriter}s while a block is encoded, {@link ColumnReader}s while one is decoded.
 *
 * @param <C> a column
 * @param <T> a text column
 */
final class BlockColumns<C, T> {

    /** The columns of one Avro record of a block: the block itself or one of its column records. */
    interface Record<C, T> {

        /** @throws IllegalArgumentException if the record has no such {@code bytes} field */
        C column(String field);

        /** @throws IllegalArgumentException if the record has no such {@code bytes} fields */
        T text(String lengthsField, String dataField);
    }

    final C bodies;
    final C captureEpochs;

    final C xids;
    final C commitLsns;
    final C commitTimes;
    final C chunkIndexes;
    final C lastChunks;
    final C endLsns;
    final C relationCounts;
    final C chunkRelations;
    final C changeCounts;
    final C partCounts;

    final C ops;
    final C changeRelations;
    final C otherRelationIds;
    final C newValueCounts;
    final C oldValueCounts;
    final C flags;
    final C truncatedCounts;
    final C truncated;
    final T messagePrefixes;
    final T messageContents;

    final C partChanges;
    final C partOldValues;
    final C partColumns;
    final C partNumbers;
    final T partTexts;

    final C walEnds;
    final C serverTimes;

    final C sequenceLsns;
    final C readAts;
    final C sequenceCounts;
    final T sequenceSchemas;
    final T sequenceNames;
    final C lastValues;
    final C isCalled;

    /** @param open the columns of the block's record of a schema */
    BlockColumns(Function<Schema, Record<C, T>> open) {
        Record<C, T> block = open.apply(SegmentBlock.getClassSchema());
        bodies = block.column("bodies");
        captureEpochs = block.column("captureEpochs");

        Record<C, T> chunks = open.apply(ChunkColumns.getClassSchema());
        xids = chunks.column("xids");
        commitLsns = chunks.column("commitLsns");
        commitTimes = chunks.column("commitTimes");
        chunkIndexes = chunks.column("chunkIndexes");
        lastChunks = chunks.column("lastChunks");
        endLsns = chunks.column("endLsns");
        relationCounts = chunks.column("relationCounts");
        chunkRelations = chunks.column("relations");
        changeCounts = chunks.column("changeCounts");
        partCounts = chunks.column("largeValuePartCounts");

        Record<C, T> changes = open.apply(ChangeColumns.getClassSchema());
        ops = changes.column("ops");
        changeRelations = changes.column("relations");
        otherRelationIds = changes.column("otherRelationIds");
        newValueCounts = changes.column("newValueCounts");
        oldValueCounts = changes.column("oldValueCounts");
        flags = changes.column("flags");
        truncatedCounts = changes.column("truncatedRelationCounts");
        truncated = changes.column("truncatedRelations");
        messagePrefixes = changes.text("messagePrefixLengths", "messagePrefixes");
        messageContents = changes.text("messageContentLengths", "messageContents");

        Record<C, T> parts = open.apply(LargeValuePartColumns.getClassSchema());
        partChanges = parts.column("changeIndexes");
        partOldValues = parts.column("oldValues");
        partColumns = parts.column("columns");
        partNumbers = parts.column("parts");
        partTexts = parts.text("textLengths", "texts");

        Record<C, T> heartbeats = open.apply(HeartbeatColumns.getClassSchema());
        walEnds = heartbeats.column("walEnds");
        serverTimes = heartbeats.column("serverTimes");

        Record<C, T> sequences = open.apply(SequenceColumns.getClassSchema());
        sequenceLsns = sequences.column("lsns");
        readAts = sequences.column("readAts");
        sequenceCounts = sequences.column("counts");
        sequenceSchemas = sequences.text("schemaLengths", "schemas");
        sequenceNames = sequences.text("nameLengths", "names");
        lastValues = sequences.column("lastValues");
        isCalled = sequences.column("isCalled");
    }
}
