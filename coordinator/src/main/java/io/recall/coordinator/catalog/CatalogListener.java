package io.recall.coordinator.catalog;

import io.recall.common.SourceId;
import io.recall.common.storage.StorageException;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.catalog.SourceStatusReport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * Consumes {@code recall.catalog} (group {@code recall-coordinator}) and hands each event to {@link CatalogRecorder}.
 *
 * <p>Delivery is at least once (offsets are committed after the record is applied), so every effect is idempotent. A
 * record that cannot be read (bad key, not a {@code CatalogEvent}, a tombstone) or that the database refuses for
 * good is logged and skipped: one bad record never stops the events behind it. A transient database fault is
 * rethrown, and the container retries the same record until the database is back, so no event is lost to it.
 *
 * <p>Gaps, and the backups that close them, are also copied to storage ({@link GapMarkers}) once recorded, so that a
 * catalog rebuilt from storage shows them; a transient storage fault is retried the same way. Approximate ranges are
 * kept in the catalog alone: their only effect is to flag restores, and the gap markers' format is one restore workers
 * read as gaps, which would refuse targets that are restorable. Segments and backups
 * announced for a source deleted with {@code ?purge=true} are deleted from storage ({@link SourcePurger}).
 *
 * <p>Runs on the listener container's single consumer thread.
 */
@Component
class CatalogListener {

    private static final Logger log = LoggerFactory.getLogger(CatalogListener.class);

    private final CatalogRecorder recorder;
    private final GapMarkers gapMarkers;
    private final SourcePurger purger;

    CatalogListener(CatalogRecorder recorder, GapMarkers gapMarkers, SourcePurger purger) {
        checkAvroTrust();
        this.recorder = recorder;
        this.gapMarkers = gapMarkers;
        this.purger = purger;
    }

    @KafkaListener(
            groupId = "recall-coordinator",
            topics = "${recall.topics.prefix:recall.}catalog",
            containerFactory = "catalogListenerFactory")
    void onRecord(ConsumerRecord<String, byte[]> record) {
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        SourceId source;
        CatalogEvent event;
        try {
            source = SourceId.parse(record.key());
            event = decode(record.value());
            if (!source.toString().equals(event.getSourceId())) {
                throw new IllegalArgumentException(
                        "the key " + source + " and the event's sourceId " + event.getSourceId() + " differ");
            }
        } catch (IOException | RuntimeException e) {
            log.warn("skipping unreadable catalog record at {}: {}", where, e.toString());
            return;
        }
        try (var ignored = MDC.putCloseable("source", source.toString())) {
            CatalogRecorder.Outcome outcome = recorder.apply(
                    source, event, new CatalogRecorder.RecordRef(record.topic(), record.partition(), record.offset()));
            if (outcome == CatalogRecorder.Outcome.APPLIED
                    && (event.getBody() instanceof GapDetected || event.getBody() instanceof BaseBackupCompleted)) {
                // after the commit: a marker never describes a gap the catalog does not hold
                syncGapMarkers(source, where);
            }
            if (event.getBody() instanceof SegmentSealed || event.getBody() instanceof BaseBackupCompleted) {
                // stored after the source was deleted with ?purge=true (or while it was being purged)
                purger.purgeAgainIfPurged(source);
            }
        } catch (StorageException e) {
            log.warn("storage unavailable while applying {}; retrying: {}", where, e.toString());
            throw e;
        } catch (TransientDataAccessException
                | RecoverableDataAccessException
                | DataAccessResourceFailureException
                | CannotCreateTransactionException e) {
            log.warn("metadata database unavailable while applying {}; retrying: {}", where, e.toString());
            throw e;
        } catch (RuntimeException e) {
            log.error("skipping catalog record at {} that could not be applied", where, e);
        }
    }

    /**
     * Copies the source's gaps to storage ({@link GapMarkers}). A transient storage fault is rethrown, so the record
     * is applied again (idempotently) until the markers are written. Any other failure is logged: the catalog is right,
     * only a later rebuild from storage would miss the gap.
     */
    private void syncGapMarkers(SourceId source, String where) {
        try {
            gapMarkers.sync(source);
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            log.error(
                    "could not store the gap markers of source {} after {}: the catalog holds the gaps, but a rebuild"
                            + " from storage would not find them",
                    source,
                    where,
                    e);
        }
    }

    private static CatalogEvent decode(byte[] value) throws IOException {
        if (value == null) {
            throw new IllegalArgumentException("a tombstone (null value) is not a catalog event");
        }
        return CatalogEvent.fromByteBuffer(ByteBuffer.wrap(value));
    }

    /**
     * Avro 1.12.2 refuses to instantiate generated classes outside the packages named by
     * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES}. Without it every catalog event would be "unreadable" and
     * skipped, silently; fail at start instead, naming the setting.
     */
    private static void checkAvroTrust() {
        CatalogEvent sample = CatalogEvent.newBuilder()
                .setSourceId(SourceId.random().toString())
                .setAt(Instant.EPOCH)
                .setWorker("self-check")
                .setBody(SourceStatusReport.newBuilder()
                        .setState(CaptureState.STREAMING)
                        .build())
                .build();
        try {
            CatalogEvent.fromByteBuffer(sample.toByteBuffer());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(
                    "cannot decode catalog events (" + e + "): start the coordinator with"
                            + " -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.recall.schemas",
                    e);
        }
    }
}
