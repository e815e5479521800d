package io.recall.common.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a {@link BlobStore} keeps its blobs. Immutable; {@link #validate()} (which {@link BlobStores#open} calls)
 * fails fast with a message naming the bad setting as {@code storage.<name>} (kebab-case, as Spring binds it).
 *
 * <p>The canonical constructor fills defaults: a {@code null} prefix is empty (and leading or trailing {@code '/'} are
 * dropped), a {@code null} {@code sse} is {@link ServerSideEncryption#NONE}, a {@code partSizeBytes} of 0 is
 * {@value #DEFAULT_PART_SIZE_BYTES}, and blank strings are {@code null}.
 *
 * @param type which backend
 * @param localRoot {@link Type#LOCAL}: the directory that holds the blobs (created if missing)
 * @param bucket {@link Type#S3}: the bucket, which must exist
 * @param prefix deployment-wide key prefix put in front of every key (a directory under {@code localRoot}, an object
 *     key prefix in the bucket), so several deployments can share one root or bucket; may be empty
 * @param endpoint {@link Type#S3}: endpoint override for S3-compatible stores (MinIO, R2, GCS interoperability,
 *     S3Proxy), {@code null} for AWS
 * @param region {@link Type#S3}: signing region; {@code null} takes it from the AWS default region chain
 *     ({@code AWS_REGION}, profile, instance metadata)
 * @param pathStyle {@link Type#S3}: path-style requests ({@code endpoint/bucket/key}), which most S3-compatible
 *     stores need; virtual-hosted style otherwise
 * @param accessKey {@link Type#S3}: static access key id; {@code null} (with {@code secretKey}) uses the AWS default
 *     credentials chain (environment, profile, web identity, container and instance roles)
 * @param secretKey {@link Type#S3}: static secret access key, set together with {@code accessKey}; never printed
 * @param sse {@link Type#S3}: server-side encryption requested on every object written
 * @param kmsKeyId {@link Type#S3}: the KMS key for {@link ServerSideEncryption#KMS}; {@code null} uses the account's
 *     default {@code aws/s3} key
 * @param partSizeBytes {@link Type#S3}: multipart upload part size, which is also the memory one
 *     {@link BlobStore#create} writer buffers; 5 MiB to 1 GiB
 */
public record StorageSettings(
        Type type,
        Path localRoot,
        String bucket,
        String prefix,
        URI endpoint,
        String region,
        boolean pathStyle,
        String accessKey,
        String secretKey,
        ServerSideEncryption sse,
        String kmsKeyId,
        int partSizeBytes) {

    /** Which backend. */
    public enum Type {
        /** Files under {@link #localRoot}. */
        LOCAL,
        /** Objects in an S3 or S3-compatible bucket. */
        S3
    }

    /** Server-side encryption of written objects (S3 only). */
    public enum ServerSideEncryption {
        /** The bucket's default (which on AWS is SSE-S3 since 2023). */
        NONE,
        /** SSE-S3: {@code x-amz-server-side-encryption: AES256}. */
        AES256,
        /** SSE-KMS: {@code x-amz-server-side-encryption: aws:kms}, with {@link #kmsKeyId} if set. */
        KMS
    }

    public static final int DEFAULT_PART_SIZE_BYTES = 16 * 1024 * 1024;
    /** S3's minimum size of every part but the last. */
    public static final int MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;

    public static final int MAX_PART_SIZE_BYTES = 1024 * 1024 * 1024;

    public StorageSettings {
        prefix = BlobKeys.normalizeDeploymentPrefix(prefix);
        bucket = blankToNull(bucket);
        region = blankToNull(region);
        accessKey = blankToNull(accessKey);
        secretKey = blankToNull(secretKey);
        kmsKeyId = blankToNull(kmsKeyId);
        sse = sse == null ? ServerSideEncryption.NONE : sse;
        partSizeBytes = partSizeBytes == 0 ? DEFAULT_PART_SIZE_BYTES : partSizeBytes;
    }

    /** Blobs as files under {@code root}, with no prefix. */
    public static StorageSettings local(Path root) {
        return new StorageSettings(Type.LOCAL, root, null, "", null, null, false, null, null, null, null, 0).validate();
    }

    /** Starts S3 settings for {@code bucket}: AWS defaults (no endpoint override, virtual-hosted style, no SSE). */
    public static S3Builder s3(String bucket) {
        return new S3Builder(bucket);
    }

    /** These settings with another deployment-wide prefix. */
    public StorageSettings withPrefix(String newPrefix) {
        return new StorageSettings(
                type,
                localRoot,
                bucket,
                newPrefix,
                endpoint,
                region,
                pathStyle,
                accessKey,
                secretKey,
                sse,
                kmsKeyId,
                partSizeBytes);
    }

    /**
     * Checks the settings the chosen backend uses.
     *
     * @return this
     * @throws IllegalArgumentException naming the first bad setting and what it should be
     */
    public StorageSettings validate() {
        if (type == null) {
            throw invalid("type", "must be set (LOCAL or S3)");
        }
        if (!prefix.isEmpty()) {
            try {
                BlobKeys.requireKey(prefix);
            } catch (IllegalArgumentException e) {
                throw invalid("prefix", "must be a '/'-separated relative path: " + e.getMessage());
            }
        }
        switch (type) {
            case LOCAL -> {
                if (localRoot == null) {
                    throw invalid("local-root", "must be set when storage.type is LOCAL");
                }
            }
            case S3 -> validateS3();
        }
        return this;
    }

    private void validateS3() {
        if (bucket == null) {
            throw invalid("bucket", "must be set when storage.type is S3");
        }
        for (int i = 0; i < bucket.length(); i++) {
            char c = bucket.charAt(i);
            if (c == '/' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw invalid("bucket", "must be a bucket name (no '/', whitespace or control characters): " + bucket);
            }
        }
        if (endpoint != null) {
            String scheme =
                    endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || endpoint.getHost() == null) {
                throw invalid(
                        "endpoint",
                        "must be an absolute http or https URI such as https://s3.example.com: " + endpoint);
            }
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw invalid(
                    accessKey == null ? "access-key" : "secret-key",
                    "must be set together with storage." + (accessKey == null ? "secret-key" : "access-key")
                            + " (or leave both unset to use the AWS default credentials chain)");
        }
        if (kmsKeyId != null && sse != ServerSideEncryption.KMS) {
            throw invalid("kms-key-id", "is only used with storage.sse=KMS (storage.sse is " + sse + ")");
        }
        if (partSizeBytes < MIN_PART_SIZE_BYTES || partSizeBytes > MAX_PART_SIZE_BYTES) {
            throw invalid(
                    "part-size-bytes",
                    "must be between " + MIN_PART_SIZE_BYTES + " (5 MiB, S3's minimum part) and " + MAX_PART_SIZE_BYTES
                            + " (1 GiB), was " + partSizeBytes);
        }
    }

    private static IllegalArgumentException invalid(String name, String problem) {
        return new IllegalArgumentException("storage." + name + " " + problem);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** Like the record's, but the secret key is masked. */
    @Override
    public String toString() {
        return "StorageSettings[type=" + type + ", localRoot=" + localRoot + ", bucket=" + bucket + ", prefix=" + prefix
                + ", endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle + ", accessKey="
                + accessKey + ", secretKey=" + (secretKey == null ? "null" : "****") + ", sse=" + sse + ", kmsKeyId="
                + kmsKeyId + ", partSizeBytes=" + partSizeBytes + "]";
    }

    /** Fluent construction of S3 settings; {@link #build()} validates. Not thread-safe. */
    public static final class S3Builder {

        private final String bucket;
        private String prefix = "";
        private URI endpoint;
        private String region;
        private boolean pathStyle;
        private String accessKey;
        private String secretKey;
        private ServerSideEncryption sse = ServerSideEncryption.NONE;
        private String kmsKeyId;
        private int partSizeBytes = DEFAULT_PART_SIZE_BYTES;

        private S3Builder(String bucket) {
            this.bucket = bucket;
        }

        public S3Builder prefix(String value) {
            this.prefix = value;
            return this;
        }

        public S3Builder endpoint(URI value) {
            this.endpoint = value;
            return this;
        }

        public S3Builder region(String value) {
            this.region = value;
            return this;
        }

        public S3Builder pathStyle(boolean value) {
            this.pathStyle = value;
            return this;
        }

        /** Static credentials; without them the AWS default credentials chain is used. */
        public S3Builder credentials(String accessKeyId, String secretAccessKey) {
            this.accessKey = accessKeyId;
            this.secretKey = secretAccessKey;
            return this;
        }

        /** SSE-S3 ({@code AES256}) or NONE; for KMS use {@link #kms(String)}. */
        public S3Builder sse(ServerSideEncryption value) {
            this.sse = Objects.requireNonNull(value, "sse");
            return this;
        }

        /** SSE-KMS with the given key id or ARN, or the default {@code aws/s3} key if {@code null}. */
        public S3Builder kms(String keyId) {
            this.sse = ServerSideEncryption.KMS;
            this.kmsKeyId = keyId;
            return this;
        }

        public S3Builder partSizeBytes(int value) {
            this.partSizeBytes = value;
            return this;
        }

        /** The validated settings. */
        public StorageSettings build() {
            return new StorageSettings(
                            Type.S3,
                            null,
                            bucket,
                            prefix,
                            endpoint,
                            region,
                            pathStyle,
                            accessKey,
                            secretKey,
                            sse,
                            kmsKeyId,
                            partSizeBytes)
                    .validate();
        }
    }
}
