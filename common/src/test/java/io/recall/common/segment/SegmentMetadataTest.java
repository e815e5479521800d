package io.recall.common.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SegmentMetadataTest {

    final SegmentMetadata metadata = new SegmentMetadata(
            SourceId.parse("0b5e4a3c-2f7d-4c1e-9a8b-7d6c5e4f3a2b"),
            Lsn.parse("0/16B3748"),
            Lsn.parse("0/16B9F00"),
            Instant.parse("2026-11-23T10:00:00.000001Z"),
            Instant.parse("2026-11-23T10:00:59.999999Z"),
            Lsn.parse("0/16B9F30"),
            Instant.parse("2026-11-23T10:00:59.999999Z"),
            1200,
            300,
            1200,
            180_000,
            "0123456789ABCDEF",
            1,
            "recall/0.1.0");

    @Test
    void keysAndTextFormAreThoseDocumented() {
        Map<String, String> meta = metadata.toMeta();

        assertThat(meta)
                .containsEntry("recall.format.version", "1")
                .containsEntry("recall.writer.version", "recall/0.1.0")
                .containsEntry("recall.source.id", "0b5e4a3c-2f7d-4c1e-9a8b-7d6c5e4f3a2b")
                .containsEntry("recall.first.lsn", "0/16B3748")
                .containsEntry("recall.last.lsn", "0/16B9F00")
                .containsEntry("recall.first.commit.time", "2026-11-23T10:00:00.000001Z")
                .containsEntry("recall.last.commit.time", "2026-11-23T10:00:59.999999Z")
                .containsEntry("recall.watermark.lsn", "0/16B9F30")
                .containsEntry("recall.watermark.time", "2026-11-23T10:00:59.999999Z")
                .containsEntry("recall.record.count", "1200")
                .containsEntry("recall.transaction.count", "300")
                .containsEntry("recall.change.count", "1200")
                .containsEntry("recall.uncompressed.bytes", "180000")
                .containsEntry("recall.schema.fingerprint", "0123456789ABCDEF")
                .hasSize(14);
        assertThat(SegmentMetadata.fromMeta(meta::get)).isEqualTo(metadata);
    }

    @Test
    void timesAreLeftOutWhenThereAreNone() {
        SegmentMetadata idle = new SegmentMetadata(
                metadata.sourceId(),
                metadata.firstLsn(),
                metadata.firstLsn(),
                null,
                null,
                Lsn.INVALID,
                null,
                1,
                0,
                0,
                30,
                "0123456789ABCDEF",
                1,
                "recall/0.1.0");

        Map<String, String> meta = idle.toMeta();

        assertThat(meta).doesNotContainKeys("recall.first.commit.time", "recall.watermark.time");
        assertThat(meta).containsEntry("recall.watermark.lsn", "0/0");
        assertThat(SegmentMetadata.fromMeta(meta::get)).isEqualTo(idle);
    }

    @Test
    void missingOrMalformedKeysAndNewerFormatsAreRefused() {
        Map<String, String> missing = new HashMap<>(metadata.toMeta());
        missing.remove("recall.last.lsn");
        assertThatThrownBy(() -> SegmentMetadata.fromMeta(missing::get))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("recall.last.lsn");

        Map<String, String> malformed = new HashMap<>(metadata.toMeta());
        malformed.put("recall.first.lsn", "16B3748");
        assertThatThrownBy(() -> SegmentMetadata.fromMeta(malformed::get)).isInstanceOf(SegmentFormatException.class);

        Map<String, String> newer = new HashMap<>(metadata.toMeta());
        newer.put("recall.format.version", Integer.toString(SegmentFormat.FORMAT_VERSION + 1));
        assertThatThrownBy(() -> SegmentMetadata.fromMeta(newer::get))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("upgrade");
    }
}
