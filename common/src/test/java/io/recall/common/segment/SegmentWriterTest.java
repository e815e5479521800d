package io.recall.common.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import io.recall.schemas.segment.SegmentBlock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentWriterTest {

    private static final SegmentWriter.Options SMALL_BLOCKS = new SegmentWriter.Options(3, 32 * 1024);

    /** What the randomized round trip must cover: every body, operation, union branch, flag and missing value. */
    private static final List<String> EVERY_FEATURE = List.of(
            "TransactionChunk",
            "Heartbeat",
            "SequenceValues",
            "LargeValuePart",
            "redefined relation",
            "relation not in chunk",
            "INSERT",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "MESSAGE",
            "old key",
            "old row",
            "cascade",
            "no cascade",
            "restart identity",
            "no restart identity",
            "prefix",
            "no prefix",
            "content",
            "no content",
            "row",
            "empty row",
            "no row",
            "null",
            "empty text",
            "text",
            "bytes",
            "UnchangedToast",
            "LargeValueRef");

    @TempDir
    Path spool;

    final SourceId source = SourceId.parse("0b5e4a3c-2f7d-4c1e-9a8b-7d6c5e4f3a2b");
    final ChangeRecords records = new ChangeRecords(source, 7);

    @Test
    void recordsComeBackInOrderWithTheMetadataTheyImply() throws IOException {
        List<ChangeEnvelope> written = new ArrayList<>();
        written.add(records.sequences());
        ChangeEnvelope first = records.pgbenchTransaction();
        written.add(first);
        written.addAll(records.largeTransaction(3, 50));
        written.add(records.heartbeat());
        written.add(unusualValues(records.pgbenchTransaction()));
        ChangeEnvelope last = records.pgbenchTransaction();
        written.add(last);

        SealedSegment segment = write(written);
        byte[] file = bytes(segment);

        try (SegmentReader reader = SegmentReader.open(new ByteArrayInputStream(file))) {
            assertThat(reader.codec()).isEqualTo("zstandard");
            assertThat(reader.writerSchema()).isEqualTo(SegmentFormat.SCHEMA);
            assertThat(reader.readAll()).containsExactlyElementsOf(written);
            SegmentMetadata m = reader.metadata();
            assertThat(m).isEqualTo(segment.metadata());
            assertThat(m.sourceId()).isEqualTo(source);
            assertThat(m.firstLsn()).isEqualTo(new Lsn(chunk(first).getCommitLsn()));
            assertThat(m.lastLsn()).isEqualTo(new Lsn(chunk(last).getCommitLsn()));
            assertThat(m.firstCommitTime()).isEqualTo(chunk(first).getCommitTime());
            assertThat(m.lastCommitTime()).isEqualTo(chunk(last).getCommitTime());
            assertThat(m.watermarkLsn())
                    .as("the end of the last complete transaction")
                    .isEqualTo(new Lsn(chunk(last).getEndLsn()));
            assertThat(m.watermarkTime()).isEqualTo(chunk(last).getCommitTime());
            assertThat(m.recordCount()).isEqualTo(written.size());
            assertThat(m.transactionCount())
                    .as("the 3-chunk transaction counts once")
                    .isEqualTo(4);
            assertThat(m.changeCount()).isEqualTo(4 + 150 + 5 + 4);
            assertThat(m.uncompressedBytes()).isEqualTo(encodedSize(written));
            assertThat(m.schemaFingerprint())
                    .hasSize(16)
                    .isEqualTo(SegmentFormat.fingerprintHex(SegmentBlock.getClassSchema()));
            assertThat(m.formatVersion()).isEqualTo(SegmentFormat.FORMAT_VERSION);
            assertThat(m.writerVersion()).matches("recall/\\d+\\.\\d+\\.\\d+.*");
        }
        assertThat(segment.key())
                .isEqualTo("sources/" + source + "/segments/"
                        + new Lsn(chunk(first).getCommitLsn()).toPaddedHex() + "-"
                        + new Lsn(chunk(last).getCommitLsn()).toPaddedHex() + ".avro");
    }

    @Test
    void recordsAsTheyArriveFromKafkaAreStoredAsIfEncodedHere() throws IOException {
        List<ChangeEnvelope> written = List.of(records.pgbenchTransaction(), records.heartbeat(), records.sequences());
        SealedSegment encoded = write(written);

        SealedSegment copied;
        try (SegmentWriter writer = newWriter()) {
            for (ChangeEnvelope e : written) {
                writer.append(e, singleObject(e));
            }
            copied = writer.finish();
        }

        assertThat(read(bytes(copied))).containsExactlyElementsOf(written);
        assertThat(copied.metadata()).isEqualTo(encoded.metadata());
        assertThat(bytes(copied)).as("same records, same name: same bytes").isEqualTo(bytes(encoded));
    }

    @Test
    void aRecordWrittenWithAnotherSchemaIsRefused() throws IOException {
        ChangeEnvelope e = records.pgbenchTransaction();
        byte[] foreign = singleObject(e);
        foreign[5] ^= 0x55; // a different fingerprint: another schema version

        try (SegmentWriter writer = newWriter()) {
            assertThatThrownBy(() -> writer.append(e, foreign))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fingerprint");
            assertThatThrownBy(() -> writer.append(e, new byte[] {1, 2, 3}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("single-object");
            assertThat(writer.recordCount()).isZero();
        }
    }

    @Test
    void aRecordOfAnotherSourceIsRefused() throws IOException {
        ChangeEnvelope other = new ChangeRecords(SourceId.random(), 1).pgbenchTransaction();
        try (SegmentWriter writer = newWriter()) {
            assertThatThrownBy(() -> writer.append(other))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("in a segment of source " + source);
        }
    }

    @Test
    void writingTwiceGivesIdenticalBytes() throws IOException {
        SealedSegment segment = write(List.of(records.pgbenchTransaction(), records.pgbenchTransaction()));

        assertThat(bytes(segment)).isEqualTo(bytes(segment));
    }

    @Test
    void aSegmentWithoutTransactionsIsNamedByItsHeartbeatsAndSequenceSnapshots() throws IOException {
        ChangeEnvelope seq = records.sequences();
        ChangeEnvelope h1 = records.heartbeat();
        ChangeEnvelope h2 = records.heartbeat();

        SealedSegment segment = write(List.of(seq, h1, h2));

        SegmentMetadata m = segment.metadata();
        assertThat(m.hasChunks()).isFalse();
        assertThat(m.firstLsn()).isEqualTo(new Lsn(((io.recall.schemas.change.SequenceValues) seq.getBody()).getLsn()));
        assertThat(m.lastLsn()).isEqualTo(new Lsn(((io.recall.schemas.change.Heartbeat) h2.getBody()).getWalEnd()));
        assertThat(m.firstCommitTime()).isNull();
        assertThat(m.lastCommitTime()).isNull();
        assertThat(m.transactionCount()).isZero();
        assertThat(m.watermarkLsn()).isEqualTo(m.lastLsn());
        assertThat(m.watermarkTime()).isEqualTo(((io.recall.schemas.change.Heartbeat) h2.getBody()).getServerTime());
        try (SegmentReader reader = SegmentReader.open(new ByteArrayInputStream(bytes(segment)))) {
            assertThat(reader.metadata()).isEqualTo(m);
        }
    }

    @Test
    void theWatermarkStartsFromThePreviousSegmentsAndOnlyRises() throws IOException {
        Lsn previous = new Lsn(records.position().value() + 10_000_000);
        Instant previousTime = Instant.parse("2026-11-23T11:00:00Z");
        SealedSegment segment;
        try (SegmentWriter writer =
                SegmentWriter.create(source, spool, SegmentWriter.Options.DEFAULT, previous, previousTime)) {
            writer.append(records.sequences());
            assertThat(writer.watermark()).isEqualTo(previous);
            writer.append(records.pgbenchTransaction()); // ends below the previous watermark
            segment = writer.finish();
        }

        assertThat(segment.metadata().watermarkLsn()).isEqualTo(previous);
        assertThat(segment.metadata().watermarkTime()).isEqualTo(previousTime);
    }

    @Test
    void anUnfinishedTransactionIsReportedAndAddsNoWatermark() throws IOException {
        List<ChangeEnvelope> big = records.largeTransaction(3, 2);
        try (SegmentWriter writer = newWriter()) {
            writer.append(big.get(0));
            writer.append(big.get(1));
            assertThat(writer.inTransaction()).isTrue();
            assertThat(writer.watermark()).isEqualTo(Lsn.INVALID);
            writer.append(big.get(2));
            assertThat(writer.inTransaction()).isFalse();
            assertThat(writer.watermark()).isEqualTo(new Lsn(chunk(big.get(2)).getEndLsn()));
        }
    }

    @Test
    void closingWithoutFinishingDeletesTheSpoolAndSealedSegmentsDeleteTheirs() throws IOException {
        try (SegmentWriter writer = newWriter()) {
            writer.append(records.pgbenchTransaction());
            assertThat(spoolFiles()).hasSize(1);
        }
        assertThat(spoolFiles()).isEmpty();

        SealedSegment sealed = write(List.of(records.pgbenchTransaction()));
        assertThat(spoolFiles()).hasSize(1);
        assertThat(sealed.spoolBytes()).isPositive();
        sealed.delete();
        assertThat(spoolFiles()).isEmpty();
    }

    @Test
    void anEmptySegmentCannotBeFinished() throws IOException {
        try (SegmentWriter writer = newWriter()) {
            assertThatThrownBy(writer::finish).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void storedSegmentsAreReadBackWithTheirHeaderAlone(@TempDir Path root) throws IOException {
        List<ChangeEnvelope> written = List.of(records.pgbenchTransaction(), records.pgbenchTransaction());
        SealedSegment segment = write(written);
        try (BlobStore store = BlobStores.open(StorageSettings.local(root))) {
            BlobInfo stored = segment.store(store);
            BlobInfo again = segment.store(store);

            assertThat(stored.key()).isEqualTo(segment.key());
            assertThat(again.size()).isEqualTo(stored.size());
            assertThat(store.list(SegmentName.prefix(source))).hasSize(1);
            assertThat(SegmentReader.readMetadata(store, segment.key())).isEqualTo(segment.metadata());
            try (SegmentReader reader = SegmentReader.open(store, segment.key())) {
                assertThat(reader.readAll()).containsExactlyElementsOf(written);
                assertThatThrownBy(reader::iterator).isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void aFileThatIsNotASegmentIsRefused(@TempDir Path root) throws IOException {
        assertThatThrownBy(() -> SegmentReader.open(new ByteArrayInputStream("not avro".getBytes())))
                .isInstanceOf(SegmentFormatException.class);

        // an Avro container without Recall's metadata
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        try (var file = new DataFileWriter<ChangeEnvelope>(new SpecificDatumWriter<>(ChangeEnvelope.class))) {
            file.create(ChangeEnvelope.getClassSchema(), plain);
            file.append(records.pgbenchTransaction());
        }
        assertThatThrownBy(() -> SegmentReader.open(new ByteArrayInputStream(plain.toByteArray())))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining(SegmentMetadata.FORMAT_VERSION);
    }

    @Test
    void arbitraryRecordsComeBackEqualFromOneBlockOrMany() throws IOException {
        List<ChangeEnvelope> written = new ArbitraryChanges(source, 2026).records(3000);
        assertThat(features(written)).containsAll(EVERY_FEATURE);

        for (SegmentWriter.Options options : List.of(SegmentWriter.Options.DEFAULT, SMALL_BLOCKS)) {
            SealedSegment segment = write(written, options);
            byte[] file = bytes(segment);

            assertThat(blocks(file))
                    .extracting(SegmentBlock::getEnvelopes)
                    .containsExactlyElementsOf(blockSizes(written, options));
            try (SegmentReader reader = SegmentReader.open(new ByteArrayInputStream(file))) {
                assertThat(reader.metadata()).isEqualTo(segment.metadata());
                assertThat(reader.readAll()).containsExactlyElementsOf(written);
            }
        }
    }

    @Test
    void aBlockEndsOnceItsRecordsReachTheBlockSize() throws IOException {
        List<ChangeEnvelope> written =
                Stream.generate(records::pgbenchTransaction).limit(500).toList();

        List<SegmentBlock> blocks = blocks(bytes(write(written, SMALL_BLOCKS)));

        assertThat(blocks).hasSizeGreaterThan(5);
        assertThat(blocks)
                .extracting(SegmentBlock::getEnvelopes)
                .containsExactlyElementsOf(blockSizes(written, SMALL_BLOCKS));
        assertThat(blocks)
                .allSatisfy(b -> assertThat(b.getRelations())
                        .as("each relation once per block")
                        .containsExactly(
                                ChangeRecords.ACCOUNTS,
                                ChangeRecords.TELLERS,
                                ChangeRecords.BRANCHES,
                                ChangeRecords.HISTORY));
    }

    @Test
    void aVersion1SegmentIsStillRead() throws IOException {
        List<ChangeEnvelope> written = new ArrayList<>(new ArbitraryChanges(source, 1).records(300));
        written.add(unusualValues(records.pgbenchTransaction()));
        SegmentMetadata v1 = withFormat(write(written).metadata(), 1, ChangeEnvelope.getClassSchema());

        byte[] file = containerFile(v1, ChangeEnvelope.getClassSchema(), written);

        try (SegmentReader reader = SegmentReader.open(new ByteArrayInputStream(file))) {
            assertThat(reader.metadata()).isEqualTo(v1);
            assertThat(reader.writerSchema()).isEqualTo(ChangeEnvelope.getClassSchema());
            assertThat(reader.readAll()).containsExactlyElementsOf(written);
        }
    }

    @Test
    void aSegmentOfANewerFormatVersionIsRefused() throws IOException {
        ChangeEnvelope e = records.pgbenchTransaction();
        SegmentMetadata newer =
                withFormat(write(List.of(e)).metadata(), SegmentFormat.FORMAT_VERSION + 1, SegmentFormat.SCHEMA);
        byte[] file = containerFile(newer, SegmentFormat.SCHEMA, blocks(bytes(write(List.of(e)))));

        assertThatThrownBy(() -> SegmentReader.open(new ByteArrayInputStream(file)))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("newer");
    }

    @Test
    void aSegmentWhoseRecordsAreNotThoseOfItsFormatVersionIsRefused() throws IOException {
        List<ChangeEnvelope> written = List.of(records.pgbenchTransaction());
        SegmentMetadata current = write(written).metadata();

        byte[] envelopesInVersion2 = containerFile(current, ChangeEnvelope.getClassSchema(), written);
        assertThatThrownBy(() -> SegmentReader.open(new ByteArrayInputStream(envelopesInVersion2)))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("holds io.recall.schemas.segment.SegmentBlock records");

        byte[] version0 = containerFile(
                withFormat(current, 0, SegmentFormat.SCHEMA), SegmentFormat.SCHEMA, blocks(bytes(write(written))));
        assertThatThrownBy(() -> SegmentReader.open(new ByteArrayInputStream(version0)))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("unknown segment format version 0");
    }

    @Test
    void aBlockThatDoesNotAddUpIsRefused() {
        BlockCodec.Encoder encoder = new BlockCodec.Encoder(source.toString());
        encoder.add(records.pgbenchTransaction());
        encoder.add(records.heartbeat());
        SegmentBlock block = encoder.finish();

        SegmentBlock shortOfOne = SegmentBlock.newBuilder(block).setEnvelopes(1).build();
        assertThatThrownBy(() -> new BlockCodec.Decoder(shortOfOne).next())
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("more values than its block's envelopes use");

        SegmentBlock oneTooMany = SegmentBlock.newBuilder(block).setEnvelopes(3).build();
        BlockCodec.Decoder decoder = new BlockCodec.Decoder(oneTooMany);
        decoder.next();
        decoder.next();
        assertThatThrownBy(decoder::next)
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("ends early");
    }

    @Test
    void aRecordABlockCannotHoldIsRefusedAndLeavesTheSegmentAsItWas() throws IOException {
        ChangeEnvelope good = records.pgbenchTransaction();
        ChangeEnvelope bad = ChangeEnvelope.newBuilder(good).build();
        chunk(bad).getChanges().getLast().getNewValues().set(0, 42);

        SealedSegment segment;
        try (SegmentWriter writer = newWriter()) {
            assertThatThrownBy(() -> writer.append(bad, singleObject(good)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a column value");
            assertThat(writer.recordCount()).isZero();
            writer.append(good);
            segment = writer.finish();
        }

        assertThat(read(bytes(segment))).containsExactly(good);
        assertThat(segment.metadata().uncompressedBytes()).isEqualTo(encodedSize(List.of(good)));
    }

    private SegmentWriter newWriter() throws IOException {
        return SegmentWriter.create(source, spool, SegmentWriter.Options.DEFAULT, Lsn.INVALID, null);
    }

    private SealedSegment write(List<ChangeEnvelope> envelopes) throws IOException {
        return write(envelopes, SegmentWriter.Options.DEFAULT);
    }

    private SealedSegment write(List<ChangeEnvelope> envelopes, SegmentWriter.Options options) throws IOException {
        try (SegmentWriter writer = SegmentWriter.create(source, spool, options, Lsn.INVALID, null)) {
            for (ChangeEnvelope e : envelopes) {
                writer.append(e);
            }
            return writer.finish();
        }
    }

    private List<Path> spoolFiles() throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.toList();
        }
    }

    static byte[] bytes(SealedSegment segment) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = segment.writeTo(out);
        assertThat(n).isEqualTo(out.size());
        return out.toByteArray();
    }

    static List<ChangeEnvelope> read(byte[] file) throws IOException {
        try (SegmentReader reader = SegmentReader.open(new ByteArrayInputStream(file))) {
            return reader.readAll();
        }
    }

    static byte[] singleObject(ChangeEnvelope e) throws IOException {
        ByteBuffer b = e.toByteBuffer();
        return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
    }

    private static long encodedSize(List<ChangeEnvelope> envelopes) throws IOException {
        long n = 0;
        for (ChangeEnvelope e : envelopes) {
            n += singleObject(e).length - 10;
        }
        return n;
    }

    /** How many records each block holds: a block ends with the record that brings it to the block size. */
    private static List<Integer> blockSizes(List<ChangeEnvelope> records, SegmentWriter.Options options)
            throws IOException {
        List<Integer> sizes = new ArrayList<>();
        int inBlock = 0;
        long blockBytes = 0;
        for (ChangeEnvelope e : records) {
            inBlock++;
            blockBytes += encodedSize(List.of(e));
            if (blockBytes >= options.blockBytes()) {
                sizes.add(inBlock);
                inBlock = 0;
                blockBytes = 0;
            }
        }
        if (inBlock > 0) {
            sizes.add(inBlock);
        }
        return sizes;
    }

    /** The file's records, each a block. */
    private static List<SegmentBlock> blocks(byte[] file) throws IOException {
        List<SegmentBlock> blocks = new ArrayList<>();
        try (DataFileStream<SegmentBlock> in =
                new DataFileStream<>(new ByteArrayInputStream(file), new SpecificDatumReader<>(SegmentBlock.class))) {
            in.forEach(blocks::add);
        }
        return blocks;
    }

    /** An Avro container file with a segment's metadata and any records: what another version may have written. */
    private static byte[] containerFile(SegmentMetadata metadata, Schema schema, List<?> records) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataFileWriter<Object> file = new DataFileWriter<>(new SpecificDatumWriter<>(schema))) {
            file.setCodec(CodecFactory.zstandardCodec(3, true));
            metadata.toMeta().forEach(file::setMeta);
            file.create(schema, out);
            for (Object r : records) {
                file.append(r);
            }
        }
        return out.toByteArray();
    }

    private static SegmentMetadata withFormat(SegmentMetadata m, int formatVersion, Schema schema) {
        return new SegmentMetadata(
                m.sourceId(),
                m.firstLsn(),
                m.lastLsn(),
                m.firstCommitTime(),
                m.lastCommitTime(),
                m.watermarkLsn(),
                m.watermarkTime(),
                m.recordCount(),
                m.transactionCount(),
                m.changeCount(),
                m.uncompressedBytes(),
                SegmentFormat.fingerprintHex(schema),
                formatVersion,
                m.writerVersion());
    }

    /** What of {@link #EVERY_FEATURE} the records show. */
    private static Set<String> features(List<ChangeEnvelope> records) {
        Set<String> seen = new HashSet<>();
        Map<Integer, RelationDef> defined = new HashMap<>();
        for (ChangeEnvelope e : records) {
            seen.add(e.getBody().getClass().getSimpleName());
            if (!(e.getBody() instanceof TransactionChunk c)) {
                continue;
            }
            for (RelationDef r : c.getRelations()) {
                RelationDef before = defined.put(r.getRelationId(), r);
                if (before != null && !before.equals(r)) {
                    seen.add("redefined relation");
                }
            }
            if (!c.getLargeValueParts().isEmpty()) {
                seen.add("LargeValuePart");
            }
            for (RowChange change : c.getChanges()) {
                seen.add(change.getOp().name());
                if (c.getRelations().stream().noneMatch(r -> r.getRelationId() == change.getRelationId())) {
                    seen.add("relation not in chunk");
                }
                seen.add(change.getOldIsKey() ? "old key" : "old row");
                seen.add(change.getTruncateCascade() ? "cascade" : "no cascade");
                seen.add(change.getTruncateRestartIdentity() ? "restart identity" : "no restart identity");
                seen.add(change.getMessagePrefix() == null ? "no prefix" : "prefix");
                seen.add(change.getMessageContent() == null ? "no content" : "content");
                for (List<Object> row : Arrays.asList(change.getOldValues(), change.getNewValues())) {
                    seen.add(row == null ? "no row" : row.isEmpty() ? "empty row" : "row");
                    for (Object v : row == null ? List.of() : row) {
                        seen.add(
                                switch (v) {
                                    case null -> "null";
                                    case String t when t.isEmpty() -> "empty text";
                                    case String t -> "text";
                                    case ByteBuffer b -> "bytes";
                                    default -> v.getClass().getSimpleName();
                                });
                    }
                }
            }
        }
        return seen;
    }

    private static TransactionChunk chunk(ChangeEnvelope e) {
        return (TransactionChunk) e.getBody();
    }

    /** Adds values of every kind a change can carry: NULL, bytes, unchanged TOAST, a large-value reference. */
    private static ChangeEnvelope unusualValues(ChangeEnvelope e) {
        TransactionChunk c = chunk(e);
        List<RowChange> changes = new ArrayList<>(c.getChanges());
        changes.add(RowChange.newBuilder()
                .setOp(Op.UPDATE)
                .setRelationId(ChangeRecords.ACCOUNTS.getRelationId())
                .setNewValues(
                        Arrays.asList("1", null, new UnchangedToast(), ByteBuffer.wrap(new byte[] {0, 1, (byte) 0xFF})))
                .setOldValues(Arrays.asList("1", null, null, new LargeValueRef(1, 5L)))
                .setOldIsKey(false)
                .build());
        return ChangeEnvelope.newBuilder(e)
                .setBody(TransactionChunk.newBuilder(c)
                        .setChanges(changes)
                        .setLargeValueParts(List.of(new LargeValuePart(4, true, 3, 0, "héllo")))
                        .build())
                .build();
    }
}
