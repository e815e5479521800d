package io.recall.restore.job;

import io.micrometer.core.instrument.MeterRegistry;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.storage.BlobStore;
import io.recall.restore.base.BaseRestorer;
import io.recall.restore.config.RestoreWorkerProperties;
import io.recall.schemas.RecallTopics;
import java.time.Clock;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * What every job of this worker shares; all of it thread-safe.
 *
 * @param cipher the coordinator's keyring, or null when none is configured (then only clear connection strings work)
 * @param producer sends restore events and seal requests
 * @param worker this worker's name in events
 * @param plainConsumers new consumers without a group (the caller closes each), for reading {@code recall.sources}
 * @param meters where jobs count what they apply ({@code recall.restore.rows})
 */
record JobServices(
        BlobStore store,
        BaseRestorer restorer,
        SecretCipher cipher,
        Producer<String, byte[]> producer,
        RecallTopics topics,
        Clock clock,
        String worker,
        RestoreWorkerProperties.Restore settings,
        Supplier<KafkaConsumer<String, byte[]>> plainConsumers,
        MeterRegistry meters) {}
