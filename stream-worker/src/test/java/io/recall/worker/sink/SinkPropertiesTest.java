package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.storage.BlobInfo;
import io.recall.schemas.catalog.SegmentSealed;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

class SinkPropertiesTest {

    @Test
    void defaultsAreThoseOfTheIssue() {
        SinkProperties p = bind(Map.of());

        assertThat(p.enabled()).isTrue();
        assertThat(p.maxSegmentBytes()).isEqualTo(DataSize.ofMegabytes(64));
        assertThat(p.maxSegmentAge()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.zstdLevel()).isEqualTo(3);
        assertThat(p.spoolRoot().getFileName().toString()).isEqualTo("recall-sink");
    }

    @Test
    void valuesBindFromKebabCaseAndBadOnesFailNamingTheSetting() {
        SinkProperties p = bind(Map.of(
                "recall.sink.max-segment-bytes", "1MB",
                "recall.sink.max-segment-age", "5s",
                "recall.sink.poll-timeout", "100ms"));
        assertThat(p.maxSegmentBytes().toBytes()).isEqualTo(1024 * 1024);
        assertThat(p.maxSegmentAge()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.pollTimeout()).isEqualTo(Duration.ofMillis(100));

        assertThatThrownBy(() -> bind(Map.of("recall.sink.max-segment-age", "0s")))
                .isInstanceOf(BindException.class)
                .rootCause()
                .hasMessageContaining("recall.sink.max-segment-age");
    }

    @Test
    void theSegmentSealedEventRepeatsTheSegmentMetadata() {
        SegmentMetadata m = new SegmentMetadata(
                SourceId.random(),
                Lsn.parse("0/16B3748"),
                Lsn.parse("0/16B9F00"),
                Instant.parse("2026-11-23T10:00:00Z"),
                Instant.parse("2026-11-23T10:01:00Z"),
                Lsn.parse("0/16B9F30"),
                Instant.parse("2026-11-23T10:01:00Z"),
                10,
                4,
                12,
                2000,
                "0123456789ABCDEF",
                1,
                "recall/test");
        BlobInfo stored = new BlobInfo(m.name().key(), 700, Instant.now());

        SegmentSealed e = CatalogPublisher.event(m, stored);

        assertThat(e.getObjectKey()).isEqualTo(m.name().key());
        assertThat(e.getFirstLsn()).isEqualTo(m.firstLsn().value());
        assertThat(e.getLastLsn()).isEqualTo(m.lastLsn().value());
        assertThat(e.getFirstCommitTime()).isEqualTo(m.firstCommitTime());
        assertThat(e.getLastCommitTime()).isEqualTo(m.lastCommitTime());
        assertThat(e.getWatermarkLsn()).isEqualTo(m.watermarkLsn().value());
        assertThat(e.getWatermarkTime()).isEqualTo(m.watermarkTime());
        assertThat(e.getRecordCount()).isEqualTo(10);
        assertThat(e.getTransactionCount()).isEqualTo(4);
        assertThat(e.getChangeCount()).isEqualTo(12);
        assertThat(e.getStoredBytes()).isEqualTo(700);
        assertThat(e.getUncompressedBytes()).isEqualTo(2000);
        assertThat(e.getSchemaFingerprint()).isEqualTo("0123456789ABCDEF");
    }

    private static SinkProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("recall.sink", SinkProperties.class);
    }
}
