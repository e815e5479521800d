package io.recall.worker.sink;

import io.recall.common.storage.BlobInfo;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobWriter;
import io.recall.common.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

/**
 * A real blob store with faults a test switches on: an outage (every commit fails with the retriable
 * {@link StorageException} and leaves nothing behind) or a crash right after an object became durable (the sink's
 * thread dies with {@link SimulatedCrash} before it can announce the segment or commit offsets). Thread-safe.
 */
final class FaultyBlobStore implements BlobStore {

    /** Kills the sink's thread where a process crash would stop it. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String message) {
            super(message);
        }
    }

    private final BlobStore delegate;
    volatile boolean down;
    volatile boolean crashAfterCommit;
    final AtomicInteger commits = new AtomicInteger();
    final AtomicInteger failedCommits = new AtomicInteger();

    FaultyBlobStore(BlobStore delegate) {
        this.delegate = delegate;
    }

    /** Registers the store as the primary {@link BlobStore} of a sink's context. */
    void register(ConfigurableApplicationContext ctx) {
        ((GenericApplicationContext) ctx)
                .registerBean("faultyBlobStore", BlobStore.class, () -> this, bd -> bd.setPrimary(true));
    }

    @Override
    public BlobWriter create(String key) {
        BlobWriter writer = delegate.create(key);
        return new BlobWriter() {
            @Override
            public void write(int b) throws IOException {
                writer.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writer.write(b, off, len);
            }

            @Override
            public BlobInfo commit() throws IOException {
                if (down) {
                    failedCommits.incrementAndGet();
                    writer.close();
                    throw new StorageException("simulated outage writing " + key);
                }
                BlobInfo info = writer.commit();
                commits.incrementAndGet();
                if (crashAfterCommit) {
                    throw new SimulatedCrash("simulated crash after storing " + key);
                }
                return info;
            }

            @Override
            public long bytesWritten() {
                return writer.bytesWritten();
            }

            @Override
            public void close() {
                writer.close();
            }
        };
    }

    @Override
    public BlobInfo put(String key, byte[] content) {
        if (down) {
            throw new StorageException("simulated outage writing " + key);
        }
        return delegate.put(key, content);
    }

    @Override
    public InputStream open(String key) {
        return delegate.open(key);
    }

    @Override
    public InputStream open(String key, long offset, long length) {
        return delegate.open(key, offset, length);
    }

    @Override
    public Optional<BlobInfo> stat(String key) {
        return delegate.stat(key);
    }

    @Override
    public boolean exists(String key) {
        return delegate.exists(key);
    }

    @Override
    public List<BlobInfo> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
