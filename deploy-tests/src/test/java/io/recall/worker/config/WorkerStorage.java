package io.recall.worker.config;

import io.recall.common.storage.StorageSettings;

/** Test access to the stream worker's own mapping of {@code recall.storage.*} to the storage settings it opens. */
public final class WorkerStorage {

    private WorkerStorage() {}

    /** What the worker would open (validated, as {@code BlobStores.open} validates before opening). */
    public static StorageSettings settings(WorkerProperties properties) {
        return WorkerConfiguration.storageSettings(properties.storage()).validate();
    }
}
