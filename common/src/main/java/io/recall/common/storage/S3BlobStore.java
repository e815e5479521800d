package io.recall.common.storage;

import io.recall.common.errors.RecallException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * {@link BlobStore} over S3 or an S3-compatible store (MinIO, R2, GCS interoperability, S3Proxy) with the AWS SDK v2
 * synchronous client: blob {@code k} is the object {@code prefix/k} in the bucket.
 *
 * <p>Small blobs are one PutObject; {@link #create} streams through the multipart upload API one part at a time (see
 * {@link S3BlobWriter}), so memory stays at one part per writer and nothing is staged on local disk. Object
 * replacement is atomic in S3, and S3 (like the compatible stores above) is strongly consistent for reads and
 * listings after a write, which is what the {@link BlobStore} guarantees rest on.
 *
 * <p>Requests carry Content-MD5, and the SDK's newer default flexible checksums (CRC32 trailers with chunked
 * encoding) are only used where an operation requires them: several S3-compatible stores reject those trailers,
 * while every one of them verifies Content-MD5.
 *
 * <p>Thread-safe: the SDK client is, and each writer and stream belongs to one caller.
 */
final class S3BlobStore implements BlobStore {

    private static final String CONTENT_TYPE = "application/octet-stream";

    private final S3Client client;
    private final StorageSettings settings;
    private final String bucket;
    private final String keyPrefix;
    private volatile boolean closed;

    /** Opens a client for validated S3 settings. */
    S3BlobStore(StorageSettings settings) {
        this(newClient(settings), settings);
    }

    /** Uses {@code client} (which this store closes) with the bucket, prefix, SSE and part size of {@code settings}. */
    S3BlobStore(S3Client client, StorageSettings settings) {
        this.client = client;
        this.settings = settings;
        this.bucket = settings.bucket();
        this.keyPrefix = settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
    }

    static S3Client newClient(StorageSettings settings) {
        try {
            return newClientBuilder(settings).build();
        } catch (SdkClientException e) {
            throw new RecallException("cannot configure the S3 client (storage.region?): " + e.getMessage(), e);
        }
    }

    /** A client builder for the settings' endpoint, region, addressing style and credentials. */
    static S3ClientBuilder newClientBuilder(StorageSettings settings) {
        S3ClientBuilder builder = S3Client.builder()
                .forcePathStyle(settings.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        if (settings.region() != null) {
            builder.region(Region.of(settings.region()));
        }
        if (settings.accessKey() != null) {
            builder.credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
        }
        // Without static keys the SDK's default credentials chain applies.
        return builder;
    }

    @Override
    public BlobWriter create(String key) {
        ensureOpen();
        return new S3BlobWriter(this, BlobKeys.requireKey(key), objectKey(key), settings.partSizeBytes());
    }

    @Override
    public BlobInfo put(String key, byte[] content) {
        ensureOpen();
        BlobKeys.requireKey(key);
        return putObject(key, content, content.length);
    }

    @Override
    public InputStream open(String key) {
        ensureOpen();
        BlobKeys.requireKey(key);
        return call(
                "read", key, true, () -> client.getObject(b -> b.bucket(bucket).key(objectKey(key))));
    }

    @Override
    public InputStream open(String key, long offset, long length) {
        ensureOpen();
        BlobKeys.requireKey(key);
        BlobKeys.requireRange(offset, length);
        if (length == 0) {
            // HTTP cannot express an empty range; still report a missing key like any other read.
            if (stat(key).isEmpty()) {
                throw new BlobNotFoundException(key);
            }
            return InputStream.nullInputStream();
        }
        String range = length > Long.MAX_VALUE - offset
                ? "bytes=" + offset + "-"
                : "bytes=" + offset + "-" + (offset + length - 1);
        try {
            return client.getObject(b -> b.bucket(bucket).key(objectKey(key)).range(range));
        } catch (S3Exception e) {
            // 416: the range starts at or after the end of the object.
            if (e.statusCode() == 416) {
                return InputStream.nullInputStream();
            }
            throw translate("read", key, true, e);
        } catch (SdkException e) {
            throw translate("read", key, true, e);
        }
    }

    @Override
    public Optional<BlobInfo> stat(String key) {
        ensureOpen();
        BlobKeys.requireKey(key);
        try {
            HeadObjectResponse head = client.headObject(b -> b.bucket(bucket).key(objectKey(key)));
            return Optional.of(new BlobInfo(key, head.contentLength(), orEpoch(head.lastModified())));
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e))) {
                return Optional.empty();
            }
            throw translate("stat", key, false, e);
        } catch (SdkException e) {
            throw translate("stat", key, false, e);
        }
    }

    @Override
    public boolean exists(String key) {
        return stat(key).isPresent();
    }

    @Override
    public List<BlobInfo> list(String prefix) {
        ensureOpen();
        BlobKeys.requirePrefix(prefix);
        return call("list", prefix, false, () -> {
            List<BlobInfo> found = new ArrayList<>();
            ListObjectsV2Request request = ListObjectsV2Request.builder()
                    .bucket(bucket)
                    .prefix(keyPrefix + prefix)
                    .build();
            // The paginator follows continuation tokens: S3 returns at most 1000 keys per page.
            for (S3Object object : client.listObjectsV2Paginator(request).contents()) {
                String key = object.key().substring(keyPrefix.length());
                if (!key.isEmpty() && !key.endsWith("/")) { // skip "folder" markers that consoles create
                    found.add(new BlobInfo(key, object.size(), orEpoch(object.lastModified())));
                }
            }
            // S3 orders by UTF-8 bytes; the SPI promises String order, which differs only beyond the BMP.
            found.sort(Comparator.comparing(BlobInfo::key));
            return found;
        });
    }

    @Override
    public void delete(String key) {
        ensureOpen();
        BlobKeys.requireKey(key);
        // S3 answers 204 whether or not the key existed.
        call(
                "delete",
                key,
                false,
                () -> client.deleteObject(b -> b.bucket(bucket).key(objectKey(key))));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            client.close();
        }
    }

    @Override
    public String toString() {
        return "S3BlobStore[" + bucket + "/" + keyPrefix + "]";
    }

    S3Client client() {
        return client;
    }

    String bucket() {
        return bucket;
    }

    StorageSettings settings() {
        return settings;
    }

    String objectKey(String key) {
        return keyPrefix + key;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /** One PutObject of {@code content[0, length)}, without copying the array. */
    BlobInfo putObject(String key, byte[] content, int length) {
        String md5 = md5(content, length);
        return call("write", key, false, () -> {
            var response = client.putObject(
                    b -> b.bucket(bucket)
                            .key(objectKey(key))
                            .contentType(CONTENT_TYPE)
                            .contentMD5(md5)
                            .serverSideEncryption(sdkSse())
                            .ssekmsKeyId(settings.kmsKeyId()),
                    body(content, length));
            return new BlobInfo(key, length, responseTime(response));
        });
    }

    /** The encryption to request on every PutObject and CreateMultipartUpload; {@code null} sends no header. */
    ServerSideEncryption sdkSse() {
        return switch (settings.sse()) {
            case NONE -> null;
            case AES256 -> ServerSideEncryption.AES256;
            case KMS -> ServerSideEncryption.AWS_KMS;
        };
    }

    /** A request body over {@code content[0, length)} that the SDK can replay on retries, without a copy. */
    static RequestBody body(byte[] content, int length) {
        return RequestBody.fromContentProvider(
                () -> new ByteArrayInputStream(content, 0, length), length, CONTENT_TYPE);
    }

    static String md5(byte[] content, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("MD5");
            digest.update(content, 0, length);
            return Base64.getEncoder().encodeToString(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    /**
     * When the store recorded a write: the response's Date header (the server's clock, whole seconds), or now.
     * PutObject and CompleteMultipartUpload return no Last-Modified, and a HEAD to fetch it would cost a request and
     * could see a concurrent writer's object.
     */
    static Instant responseTime(SdkResponse response) {
        return response.sdkHttpResponse()
                .firstMatchingHeader("Date")
                .flatMap(date -> {
                    try {
                        return Optional.of(Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(date)));
                    } catch (DateTimeParseException e) {
                        return Optional.empty();
                    }
                })
                .orElseGet(Instant::now);
    }

    /** Runs an SDK call, translating its exceptions. */
    <T> T call(String operation, String key, boolean missingKeyIsNotFound, Supplier<T> action) {
        try {
            return action.get();
        } catch (SdkException e) {
            throw translate(operation, key, missingKeyIsNotFound, e);
        }
    }

    /**
     * Maps SDK failures onto the SPI's errors: a missing key (where it matters) to {@link BlobNotFoundException};
     * client-side failures (connection refused or reset, timeouts), 5xx, throttling and request timeouts to the
     * retriable {@link StorageException}; other 4xx (access denied, a missing bucket, a bad request) to a permanent
     * {@link RecallException}.
     */
    RuntimeException translate(String operation, String key, boolean missingKeyIsNotFound, SdkException e) {
        String where = operation + " " + key + " in s3://" + bucket + "/" + keyPrefix;
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            String code = errorCode(s3);
            if (status == 404 && "NoSuchBucket".equals(code)) {
                return new RecallException("cannot " + where + ": bucket " + bucket + " does not exist", e);
            }
            if (status == 404 && missingKeyIsNotFound) {
                return new BlobNotFoundException(key);
            }
            if (status >= 500
                    || status == 429
                    || status == 408
                    || status == 404
                    || "SlowDown".equals(code)
                    || "RequestTimeout".equals(code)) {
                // 404 here is e.g. NoSuchUpload: a multipart upload vanished (a lifecycle rule); writing again works.
                return new StorageException("cannot " + where + ": " + describe(s3), e);
            }
            return new RecallException("cannot " + where + ": " + describe(s3), e);
        }
        return new StorageException("cannot " + where + ": " + e.getMessage(), e);
    }

    private static Instant orEpoch(Instant time) {
        return time == null ? Instant.EPOCH : time;
    }

    private static String describe(S3Exception e) {
        String code = errorCode(e);
        return "HTTP " + e.statusCode() + (code == null ? "" : " " + code) + " (" + e.getMessage() + ")";
    }

    private static String errorCode(S3Exception e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }
}
