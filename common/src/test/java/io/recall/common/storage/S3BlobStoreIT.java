package io.recall.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.recall.common.errors.RecallException;
import io.recall.testsupport.S3Endpoint;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The contract against a real S3 API (S3Proxy), plus what only S3 has: multipart uploads, SSE, outages. */
class S3BlobStoreIT extends BlobStoreContractTest {

    private static final int PART_SIZE = StorageSettings.MIN_PART_SIZE_BYTES;
    private static final int MIB = 1024 * 1024;

    private static S3Endpoint endpoint;
    private static String bucket;
    private static S3Client raw;

    /** This test's deployment prefix, so tests sharing the bucket never see each other's blobs. */
    private String prefix;

    @BeforeAll
    static void createBucket() {
        quietLogging();
        endpoint = S3Endpoint.shared();
        bucket = "recall-storage-it-" + UUID.randomUUID().toString().substring(0, 8);
        endpoint.createBucket(bucket);
        raw = endpoint.newClient();
    }

    @AfterAll
    static void closeClient() {
        raw.close();
    }

    /**
     * This module has no logback-test.xml, and logback's default configuration logs S3Proxy's and the SDK's DEBUG
     * output: about a gigabyte for this class. Keep warnings, which is what a failure here needs.
     */
    private static void quietLogging() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        }
    }

    @Override
    protected BlobStore newStore() {
        prefix = "deployments/" + UUID.randomUUID();
        return BlobStores.open(settings(endpoint, prefix).build());
    }

    private static StorageSettings.S3Builder settings(S3Endpoint target, String prefix) {
        return StorageSettings.s3(bucket)
                .prefix(prefix)
                .endpoint(target.endpoint())
                .region(target.region())
                .pathStyle(true)
                .credentials(target.accessKey(), target.secretKey())
                .partSizeBytes(PART_SIZE);
    }

    @Test
    void blobsAreObjectsUnderTheDeploymentPrefix() {
        store.put("sources/1/segments/a.avro", bytes("segment"));

        List<String> objectKeys =
                raw.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + "/")).contents().stream()
                        .map(S3Object::key)
                        .toList();
        assertThat(objectKeys).containsExactly(prefix + "/sources/1/segments/a.avro");
    }

    @Test
    void contentLargerThanOnePartIsStreamedAsAMultipartUpload() throws IOException {
        byte[] content = randomBytes(12 * MIB, 21);
        String key = "segments/twelve-mib.avro";

        BlobInfo info;
        try (BlobWriter writer = store.create(key)) {
            writer.write(content, 0, 11 * MIB);
            List<MultipartUpload> inProgress = uploadsOf(key);
            assertThat(inProgress).as("an upload started before commit").hasSize(1);
            assertThat(raw.listParts(b -> b.bucket(bucket)
                                    .key(objectKey(key))
                                    .uploadId(inProgress.get(0).uploadId()))
                            .parts())
                    .as("full parts are sent while writing, so memory stays at one part")
                    .hasSize(2);
            assertThat(store.exists(key)).isFalse();

            writeInOddPieces(writer, Arrays.copyOfRange(content, 11 * MIB, content.length));
            info = writer.commit();
        }

        assertThat(info.size()).isEqualTo(12L * MIB);
        HeadObjectResponse head = raw.headObject(b -> b.bucket(bucket).key(objectKey(key)));
        assertThat(head.contentLength()).isEqualTo(12L * MIB);
        assertThat(head.eTag()).as("a multipart ETag ends in -<parts>").matches("\"?[0-9a-fA-F]+-3\"?");
        assertThat(uploadsOf(key)).isEmpty();
        assertThat(readAll(store.open(key))).isEqualTo(content);
        assertThat(readAll(store.open(key, 5 * MIB - 10, 20)))
                .as("a range across a part boundary")
                .isEqualTo(Arrays.copyOfRange(content, 5 * MIB - 10, 5 * MIB + 10));
    }

    @Test
    void contentThatFitsOnePartIsOnePutObject() throws IOException {
        String key = "small";
        try (BlobWriter writer = store.create(key)) {
            writer.write(randomBytes(PART_SIZE, 22));
            assertThat(uploadsOf(key)).isEmpty();
            writer.commit();
        }

        HeadObjectResponse head = raw.headObject(b -> b.bucket(bucket).key(objectKey(key)));
        assertThat(head.contentLength()).isEqualTo(PART_SIZE);
        assertThat(head.eTag()).doesNotContain("-");
    }

    @Test
    void anAbortedMultipartUploadLeavesNoIncompleteUpload() throws IOException {
        String key = "segments/aborted.avro";
        try (BlobWriter writer = store.create(key)) {
            writeInOddPieces(writer, randomBytes(7 * MIB, 23));
            assertThat(uploadsOf(key)).as("a part was uploaded").hasSize(1);
        }

        assertThat(uploadsOf(key)).isEmpty();
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads())
                .extracting(MultipartUpload::key)
                .doesNotContain(objectKey(key));
        assertThatThrownBy(() -> raw.headObject(b -> b.bucket(bucket).key(objectKey(key))))
                .isInstanceOf(NoSuchKeyException.class);
        assertThat(store.exists(key)).isFalse();
    }

    @Test
    void serverSideEncryptionIsRequestedOnEveryWrite() throws IOException {
        Map<String, List<String>> sseByOperation = new ConcurrentHashMap<>();
        ExecutionInterceptor recorder = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                SdkHttpRequest request = context.httpRequest();
                String operation = request.method() + " "
                        + String.join(",", request.rawQueryParameters().keySet());
                sseByOperation
                        .computeIfAbsent(operation, k -> new CopyOnWriteArrayList<>())
                        .add(request.firstMatchingHeader("x-amz-server-side-encryption")
                                .orElse("none"));
            }
        };
        StorageSettings settings = settings(endpoint, prefix)
                .sse(StorageSettings.ServerSideEncryption.AES256)
                .build();
        S3Client client = S3BlobStore.newClientBuilder(settings)
                .overrideConfiguration(c -> c.addExecutionInterceptor(recorder))
                .build();
        byte[] big = randomBytes(6 * MIB, 24);

        try (BlobStore encrypted = new S3BlobStore(client, settings)) {
            encrypted.put("sse/small", bytes("small"));
            try (BlobWriter writer = encrypted.create("sse/big")) {
                writer.write(big);
                writer.commit();
            }
            assertThat(readAll(encrypted.open("sse/big"))).isEqualTo(big);
        }

        assertThat(sseByOperation.get("PUT ")).as("PutObject").containsExactly("AES256");
        assertThat(sseByOperation.get("POST uploads"))
                .as("CreateMultipartUpload")
                .containsExactly("AES256");
        assertThat(sseByOperation.get("PUT partNumber,uploadId"))
                .as("UploadPart")
                .hasSize(2);
    }

    @Test
    void anUnreachableEndpointFailsWithRetriableStorageException() throws IOException {
        // An endpoint of this test's own: stopping the shared one would break tests running beside this one.
        try (S3Endpoint own = S3Endpoint.create()) {
            own.createBucket(bucket);
            try (BlobStore outage = BlobStores.open(settings(own, prefix).build())) {
                outage.put("before", bytes("written before the outage"));
                BlobWriter pending = outage.create("during");
                own.stop();
                try {
                    assertThatThrownBy(() -> outage.put("during", bytes("x"))).isInstanceOf(StorageException.class);
                    assertThatThrownBy(() -> outage.open("before")).isInstanceOf(StorageException.class);
                    assertThatThrownBy(() -> outage.open("before", 0, 5)).isInstanceOf(StorageException.class);
                    assertThatThrownBy(() -> outage.stat("before")).isInstanceOf(StorageException.class);
                    assertThatThrownBy(() -> outage.list("")).isInstanceOf(StorageException.class);
                    assertThatThrownBy(() -> outage.delete("before")).isInstanceOf(StorageException.class);
                    pending.write(bytes("buffered in memory"));
                    assertThatThrownBy(pending::commit).isInstanceOf(StorageException.class);
                } finally {
                    own.start();
                }

                assertThat(readAll(outage.open("before"))).isEqualTo(bytes("written before the outage"));
                assertThat(outage.exists("during"))
                        .as("the failed writes left nothing")
                        .isFalse();
                outage.put("during", bytes("retried"));
                assertThat(readAll(outage.open("during"))).isEqualTo(bytes("retried"));
            }
        }
    }

    @Test
    void aMissingBucketIsAPermanentError() {
        StorageSettings settings = StorageSettings.s3("recall-no-such-bucket")
                .endpoint(endpoint.endpoint())
                .region(endpoint.region())
                .pathStyle(true)
                .credentials(endpoint.accessKey(), endpoint.secretKey())
                .build();
        try (BlobStore nowhere = BlobStores.open(settings)) {
            assertThatThrownBy(() -> nowhere.put("k", bytes("x")))
                    .isInstanceOf(RecallException.class)
                    .isNotInstanceOf(StorageException.class)
                    .hasMessageContaining("recall-no-such-bucket");
        }
    }

    private String objectKey(String key) {
        return prefix + "/" + key;
    }

    private List<MultipartUpload> uploadsOf(String key) {
        return raw.listMultipartUploads(b -> b.bucket(bucket).prefix(objectKey(key))).uploads().stream()
                .filter(upload -> upload.key().equals(objectKey(key)))
                .toList();
    }
}
