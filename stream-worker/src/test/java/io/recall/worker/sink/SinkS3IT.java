package io.recall.worker.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.SourceId;
import io.recall.common.segment.SegmentMetadata;
import io.recall.common.segment.SegmentReader;
import io.recall.common.storage.BlobInfo;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.testsupport.S3Endpoint;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The sink storing into a real S3 API (S3Proxy), under a deployment prefix, with segments larger than one part. */
class SinkS3IT {

    SinkHarness h;

    @BeforeEach
    void start() {
        h = SinkHarness.s3(2, S3Endpoint.shared());
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void segmentsLandInTheBucketUnderTheDeploymentPrefixAndReadBack() throws IOException {
        // the second source's notes are random text that barely compresses: its segment spans several 5 MiB parts
        ChangeStream s = new ChangeStream(SourceId.random()).noteLength(2000);
        List<ChangeEnvelope> sent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ChangeEnvelope e = s.transaction(1);
            h.send(e);
            sent.add(e);
        }
        ChangeStream big = new ChangeStream(SourceId.random(), 0x9000_0000L).randomNotes(40_000);
        List<ChangeEnvelope> bigSent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            List<ChangeEnvelope> txn = big.transaction(2, 4);
            txn.forEach(h::send);
            bigSent.addAll(txn);
        }
        ConfigurableApplicationContext sink = h.startSink("--recall.sink.max-segment-age=2s");
        try {
            SegmentSealed event = h.awaitSealed(s.source(), 1).getFirst();
            SegmentSealed bigEvent = h.awaitSealed(big.source(), 1).getFirst();

            assertThat(h.storedRecords(s.source())).containsExactlyElementsOf(sent);
            assertThat(h.storedRecords(big.source())).containsExactlyElementsOf(bigSent);
            assertThat(bigEvent.getStoredBytes()).as("a multipart upload").isGreaterThan(5L * 1024 * 1024);
            BlobInfo object = h.segments(s.source()).getFirst();
            assertThat(event.getObjectKey()).isEqualTo(object.key());
            assertThat(event.getStoredBytes()).isEqualTo(object.size());
            SegmentMetadata m = SegmentReader.readMetadata(h.store, object.key());
            assertThat(m.recordCount()).isEqualTo(sent.size());
            assertThat(m.uncompressedBytes()).as("repetitive notes compress").isGreaterThan(5 * object.size());

            try (S3Client raw = S3Endpoint.shared().newClient()) {
                await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(raw
                                        .listObjectsV2Paginator(
                                                b -> b.bucket(h.bucket()).prefix("deployment-1/"))
                                        .contents()
                                        .stream()
                                        .map(S3Object::key)
                                        .toList())
                                .contains("deployment-1/" + object.key(), "deployment-1/" + bigEvent.getObjectKey()));
            }
        } finally {
            sink.close();
        }
    }
}
