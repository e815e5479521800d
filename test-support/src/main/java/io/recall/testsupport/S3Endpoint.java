package io.recall.testsupport;

import java.net.URI;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API (S3Proxy) on a free loopback port, storing objects in memory.
 *
 * <p>Requests must be signed (AWS signature V2 or V4) with {@link #accessKey()} and {@link #secretKey()}; clients
 * need path-style access and an endpoint override ({@link #newClient()} shows how). Unknown headers are ignored,
 * which the AWS SDK v2's multipart uploads need.
 *
 * <p>Lifecycle: {@link #create} returns an endpoint owned by the caller, who must {@link #close} it; {@link #shared}
 * returns one endpoint for the whole JVM, started on first use and stopped by a JVM shutdown hook ({@link #close}
 * refuses it; tests on it should use bucket names of their own). {@link #stop} and {@link #start} take the endpoint
 * down and up again on the same port with the same contents, to simulate an outage; do that on an endpoint of
 * your own. Thread-safe.
 */
public final class S3Endpoint implements AutoCloseable {

    private static final String REGION = "us-east-1";
    private static final Object SHARED_LOCK = new Object();
    private static volatile S3Endpoint shared;

    private final int port;
    private final String accessKey = "recall-test";
    private final String secretKey;
    private final BlobStore blobStore = new TransientNio2BlobStore();
    private final boolean isShared;
    private S3Proxy proxy;
    private boolean closed;

    private S3Endpoint(boolean isShared) {
        byte[] secret = new byte[20];
        new SecureRandom().nextBytes(secret);
        this.secretKey = HexFormat.of().formatHex(secret);
        this.port = FreePorts.next();
        this.isShared = isShared;
    }

    /** Starts a new endpoint, owned by the caller. */
    public static S3Endpoint create() {
        S3Endpoint endpoint = new S3Endpoint(false);
        endpoint.start();
        return endpoint;
    }

    /** The JVM-wide endpoint, started on first use and stopped when the JVM exits. */
    public static S3Endpoint shared() {
        S3Endpoint current = shared;
        if (current != null) {
            return current;
        }
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                S3Endpoint started = new S3Endpoint(true);
                started.start();
                Runtime.getRuntime().addShutdownHook(new Thread(started::destroy, "recall-s3-shutdown"));
                shared = started;
            }
            return shared;
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** Always {@code us-east-1}. */
    public String region() {
        return REGION;
    }

    /** A new synchronous client for this endpoint (path-style, endpoint override, static credentials); close it. */
    public S3Client newClient() {
        return S3Client.builder()
                .endpointOverride(endpoint())
                .region(Region.of(REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .build();
    }

    /** Creates a bucket through the S3 API. */
    public void createBucket(String name) {
        Objects.requireNonNull(name, "name");
        try (S3Client client = newClient()) {
            client.createBucket(request -> request.bucket(name));
        }
    }

    /** Whether the endpoint accepts requests. */
    public synchronized boolean isRunning() {
        return proxy != null;
    }

    /** Starts serving on {@link #endpoint()} again, with the contents it had; no-op if running. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (proxy != null) {
            return;
        }
        S3Proxy started = S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(endpoint())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .ignoreUnknownHeaders(true)
                .build();
        try {
            started.start();
        } catch (Exception e) {
            try {
                started.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("S3Proxy did not start on " + endpoint(), e);
        }
        proxy = started;
    }

    /** Stops serving (connections are refused) but keeps the contents and the port; no-op if stopped. */
    public synchronized void stop() {
        if (proxy == null) {
            return;
        }
        S3Proxy stopping = proxy;
        proxy = null;
        try {
            stopping.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop on " + endpoint(), e);
        }
    }

    /**
     * Stops the endpoint and drops its contents.
     *
     * @throws IllegalStateException for the {@link #shared} endpoint, which the JVM shutdown hook stops
     */
    @Override
    public void close() {
        if (isShared) {
            throw new IllegalStateException("The shared S3 endpoint is stopped when the JVM exits, not by tests");
        }
        destroy();
    }

    private synchronized void destroy() {
        if (closed) {
            return;
        }
        try {
            stop();
        } finally {
            closed = true;
            blobStore.close();
        }
    }

    @Override
    public String toString() {
        return "S3Endpoint[" + endpoint() + "]";
    }
}
