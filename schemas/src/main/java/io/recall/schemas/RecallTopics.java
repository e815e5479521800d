package io.recall.schemas;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Recall's Kafka topics ({@code recall.topics.*}): their names, with a deployment-wide prefix in front, and their
 * definitions. Every service declares the same definitions, so whichever starts first creates them identically.
 * Absent values take the defaults. Immutable.
 *
 * @param prefix put in front of every topic name (default {@code recall.})
 * @param sourcesPartitions partitions of the compacted sources topic: caps how many capture workers share the
 *     sources (default 64)
 * @param changesPartitions partitions of the changes, catalog and restore topics (default 12)
 * @param replicationFactor replication factor of the topics Recall creates (default 1; 3 on a real cluster)
 */
public record RecallTopics(String prefix, int sourcesPartitions, int changesPartitions, short replicationFactor) {

    /** How long change records stay in Kafka: must exceed the longest sink lag. */
    static final long CHANGES_RETENTION_MS = 7L * 24 * 3600 * 1000;

    /** How long seal requests stay in Kafka. */
    static final long SINK_CONTROL_RETENTION_MS = 3600L * 1000;

    public RecallTopics {
        prefix = prefix == null ? "recall." : prefix;
        sourcesPartitions = sourcesPartitions == 0 ? 64 : sourcesPartitions;
        changesPartitions = changesPartitions == 0 ? 12 : changesPartitions;
        replicationFactor = replicationFactor == 0 ? 1 : replicationFactor;
        if (sourcesPartitions < 1 || changesPartitions < 1 || replicationFactor < 1) {
            throw new IllegalArgumentException("recall.topics.* partitions and replication-factor must be positive");
        }
    }

    /** Compacted desired state of every source (key: source id; tombstone: deleted). */
    public String sources() {
        return prefix + "sources";
    }

    /** Decoded changes and control records (key: source id). */
    public String changes() {
        return prefix + "changes";
    }

    /** What workers report to the coordinator (key: source id). */
    public String catalog() {
        return prefix + "catalog";
    }

    /** Restore jobs and their cancellations ({@code RestoreCommand}; key: restore id). */
    public String restoreJobs() {
        return prefix + "restore-jobs";
    }

    /** What restore workers report about jobs ({@code RestoreEvent}; key: restore id). */
    public String restoreEvents() {
        return prefix + "restore-events";
    }

    /** Seal requests to the sinks ({@code SealRequest}; key: source id). */
    public String sinkControl() {
        return prefix + "sink-control";
    }

    /**
     * The seal-request topic: one partition (every sink reads every request), kept an hour, since requests are only
     * useful while fresh and a sink that starts later does not read old ones. Declared by the sinks, which read it,
     * and by the restore workers, which write to it.
     */
    public NewTopic sinkControlDefinition() {
        return new NewTopic(sinkControl(), 1, replicationFactor)
                .configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        Long.toString(SINK_CONTROL_RETENTION_MS)));
    }

    /** The topic definitions, for the admin client to create when missing. */
    public List<NewTopic> definitions() {
        return List.of(
                new NewTopic(sources(), sourcesPartitions, replicationFactor)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(changes(), changesPartitions, replicationFactor)
                        .configs(Map.of(
                                TopicConfig.CLEANUP_POLICY_CONFIG,
                                TopicConfig.CLEANUP_POLICY_DELETE,
                                TopicConfig.RETENTION_MS_CONFIG,
                                Long.toString(CHANGES_RETENTION_MS),
                                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                "2097152")),
                new NewTopic(catalog(), changesPartitions, replicationFactor)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)),
                new NewTopic(restoreJobs(), changesPartitions, replicationFactor)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)),
                new NewTopic(restoreEvents(), changesPartitions, replicationFactor)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)));
    }
}
