package io.recall.common.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code recall.storage.*} as the services bind it (Spring binds this record as it is: absent values take the defaults
 * below), so that one configuration (and the same {@code RECALL_STORAGE_*} environment variables) serves every
 * service, and {@link #toSettings()} maps it to {@link StorageSettings} in one place. Immutable.
 *
 * @param type {@code local} (default) or {@code s3}
 * @param localRoot {@code local}: the directory holding the blobs (default {@code data/storage})
 * @param bucket {@code s3}: the bucket
 * @param prefix {@code s3}: deployment-wide key prefix in front of every key (a local store has none)
 * @param endpoint {@code s3}: endpoint of an S3-compatible store (MinIO, R2, ...); empty for AWS
 * @param region {@code s3}: signing region (default {@code us-east-1})
 * @param pathStyle {@code s3}: path-style requests, which most S3-compatible stores need
 * @param accessKey {@code s3}: static credentials; empty uses the AWS default credentials chain
 * @param secretKey {@code s3}: set together with {@code accessKey}
 * @param serverSideEncryption {@code s3}: {@code NONE} (default), {@code AES256} (SSE-S3) or {@code KMS} (SSE-KMS)
 * @param kmsKeyId {@code s3}: the KMS key for {@code KMS}; empty uses the account's default key
 * @param partSizeBytes {@code s3}: multipart part size (default 16 MiB)
 */
public record StorageProperties(
        String type,
        Path localRoot,
        String bucket,
        String prefix,
        URI endpoint,
        String region,
        boolean pathStyle,
        String accessKey,
        String secretKey,
        String serverSideEncryption,
        String kmsKeyId,
        int partSizeBytes) {

    public StorageProperties {
        type = type == null || type.isBlank() ? "local" : type.strip();
        localRoot = localRoot == null ? Path.of("data/storage") : localRoot;
        prefix = prefix == null ? "" : prefix;
        region = region == null ? "us-east-1" : region;
        serverSideEncryption =
                serverSideEncryption == null || serverSideEncryption.isBlank() ? "NONE" : serverSideEncryption.strip();
        partSizeBytes = partSizeBytes == 0 ? StorageSettings.DEFAULT_PART_SIZE_BYTES : partSizeBytes;
    }

    /**
     * The settings {@link BlobStores#open} takes.
     *
     * @throws IllegalStateException naming the bad {@code recall.storage.*} value
     */
    public StorageSettings toSettings() {
        try {
            return switch (type.toLowerCase(Locale.ROOT)) {
                // a local store has no prefix: the root is the deployment's own directory
                case "local" -> StorageSettings.local(localRoot);
                case "s3" ->
                    new StorageSettings(
                                    StorageSettings.Type.S3,
                                    null,
                                    bucket,
                                    prefix,
                                    endpoint,
                                    region,
                                    pathStyle,
                                    accessKey,
                                    secretKey,
                                    sse(),
                                    kmsKeyId,
                                    partSizeBytes)
                            .validate();
                default ->
                    throw new IllegalStateException("recall.storage.type must be local or s3, not '" + type + "'");
            };
        } catch (IllegalArgumentException e) {
            // StorageSettings names the setting as storage.<name>
            throw new IllegalStateException("recall." + e.getMessage(), e);
        }
    }

    private StorageSettings.ServerSideEncryption sse() {
        try {
            return StorageSettings.ServerSideEncryption.valueOf(serverSideEncryption.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("recall.storage.server-side-encryption must be NONE, AES256 or KMS, not '"
                    + serverSideEncryption + "'");
        }
    }

    /** Like the record's, but the secret key is masked. */
    @Override
    public String toString() {
        return "StorageProperties[type=" + type + ", localRoot=" + localRoot + ", bucket=" + bucket + ", prefix="
                + prefix + ", endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle
                + ", accessKey=" + accessKey + ", secretKey=" + (secretKey == null ? "null" : "****")
                + ", serverSideEncryption=" + serverSideEncryption + ", kmsKeyId=" + kmsKeyId + ", partSizeBytes="
                + partSizeBytes + "]";
    }
}
