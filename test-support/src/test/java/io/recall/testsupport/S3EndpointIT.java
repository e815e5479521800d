package io.recall.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3EndpointIT {

    private static final int MIB = 1024 * 1024;

    private final S3Endpoint s3 = S3Endpoint.shared();

    @Test
    void putsAndGetsAnObject() {
        String bucket = bucketName();
        s3.createBucket(bucket);

        try (S3Client client = s3.newClient()) {
            client.putObject(request -> request.bucket(bucket).key("a/b.txt"), RequestBody.fromString("hello"));

            assertThat(client.getObjectAsBytes(request -> request.bucket(bucket).key("a/b.txt"))
                            .asString(StandardCharsets.UTF_8))
                    .isEqualTo("hello");
        }
        assertThat(s3.endpoint().toString()).startsWith("http://127.0.0.1:");
        assertThat(s3.region()).isEqualTo("us-east-1");
    }

    @Test
    void wrongSecretIsRejected() {
        String bucket = bucketName();
        s3.createBucket(bucket);

        try (S3Client client = S3Client.builder()
                .endpointOverride(s3.endpoint())
                .region(Region.of(s3.region()))
                .forcePathStyle(true)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), "wrong")))
                .build()) {
            assertThatThrownBy(() -> client.listObjectsV2(request -> request.bucket(bucket)))
                    .isInstanceOfSatisfying(
                            S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    @Test
    void explicitMultipartUploadAssemblesParts() {
        String bucket = bucketName();
        s3.createBucket(bucket);
        byte[] first = randomBytes(5 * MIB, 1);
        byte[] second = randomBytes(MIB + 17, 2);

        try (S3Client client = s3.newClient()) {
            String uploadId = client.createMultipartUpload(
                            request -> request.bucket(bucket).key("big"))
                    .uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            int partNumber = 1;
            for (byte[] part : List.of(first, second)) {
                int number = partNumber++;
                String etag = client.uploadPart(
                                request -> request.bucket(bucket)
                                        .key("big")
                                        .uploadId(uploadId)
                                        .partNumber(number),
                                RequestBody.fromBytes(part))
                        .eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            client.completeMultipartUpload(request -> request.bucket(bucket)
                    .key("big")
                    .uploadId(uploadId)
                    .multipartUpload(upload -> upload.parts(parts)));

            byte[] stored = client.getObjectAsBytes(
                            request -> request.bucket(bucket).key("big"))
                    .asByteArray();
            assertThat(stored).hasSize(first.length + second.length);
            assertThat(stored).startsWith(first).endsWith(second);
        }
    }

    @Test
    void sdkMultipartClientUploadsLargeObject() {
        String bucket = bucketName();
        s3.createBucket(bucket);
        byte[] content = randomBytes(12 * MIB + 3, 3);

        try (S3AsyncClient client = S3AsyncClient.builder()
                .endpointOverride(s3.endpoint())
                .region(Region.of(s3.region()))
                .forcePathStyle(true)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .multipartEnabled(true)
                .multipartConfiguration(
                        config -> config.minimumPartSizeInBytes((long) 5 * MIB).thresholdInBytes((long) 5 * MIB))
                .build()) {
            client.putObject(request -> request.bucket(bucket).key("sdk-big"), AsyncRequestBody.fromBytes(content))
                    .join();
        }

        // Read back with the plain client: the multipart-enabled client downloads by part number, which S3Proxy
        // answers with 501 Not Implemented.
        try (S3Client client = s3.newClient()) {
            byte[] stored = client.getObjectAsBytes(
                            request -> request.bucket(bucket).key("sdk-big"))
                    .asByteArray();
            assertThat(stored).isEqualTo(content);
            assertThat(client.headObject(request -> request.bucket(bucket).key("sdk-big"))
                            .eTag())
                    .as("the ETag of a multipart upload ends in -<number of parts>")
                    .matches("\"?[0-9a-f]+-3\"?");
        }
    }

    @Test
    void outageKeepsPortAndContents() {
        try (S3Endpoint own = S3Endpoint.create();
                S3Client client = own.newClient()) {
            own.createBucket("outage");
            client.putObject(request -> request.bucket("outage").key("k"), RequestBody.fromString("kept"));

            own.stop();
            assertThat(own.isRunning()).isFalse();
            assertThatThrownBy(() -> client.getObjectAsBytes(
                            request -> request.bucket("outage").key("k")))
                    .isInstanceOf(SdkClientException.class);

            own.start();
            assertThat(client.getObjectAsBytes(
                                    request -> request.bucket("outage").key("k"))
                            .asString(StandardCharsets.UTF_8))
                    .isEqualTo("kept");
        }
        assertThatThrownBy(s3::close).isInstanceOf(IllegalStateException.class);
    }

    private static String bucketName() {
        return "recall-it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
