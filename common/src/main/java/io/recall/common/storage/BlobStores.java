package io.recall.common.storage;

/** Opens the {@link BlobStore} that {@link StorageSettings} describe. */
public final class BlobStores {

    private BlobStores() {}

    /**
     * Validates the settings and opens the store. The caller closes it.
     *
     * @throws IllegalArgumentException if a setting is invalid (the message names it)
     * @throws StorageException if a local root cannot be created
     */
    public static BlobStore open(StorageSettings settings) {
        settings.validate();
        return switch (settings.type()) {
            case LOCAL -> new LocalBlobStore(settings.localRoot(), settings.prefix());
            case S3 -> new S3BlobStore(settings);
        };
    }
}
