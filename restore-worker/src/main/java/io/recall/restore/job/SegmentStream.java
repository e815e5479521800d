package io.recall.restore.job;

import io.recall.common.Lsn;
import io.recall.common.errors.RecallException;
import io.recall.common.segment.SegmentReader;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.AvroRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a run of stored segments in name order as one stream of records, downloading the next {@code prefetch}
 * segments into a work directory while the current one is read (memory stays at one Avro block per open segment;
 * disk at {@code prefetch + 1} segments). Each local copy is deleted once read.
 *
 * <p>{@link #chunks(Lsn)} hands the transaction chunks of the segments that start below a commit LSN to a replay;
 * sequence snapshots met on the way are remembered, and {@link #sequencesFor(Lsn)} reads on to find the snapshot a
 * restore to that LSN sets its sequences from. The read position and counts may be read from other threads while the
 * stream is read ({@link #segmentsDone()}, {@link #bytesRead()}); everything else is for one thread.
 */
final class SegmentStream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SegmentStream.class);

    private final BlobStore store;
    private final List<StoredSource.StoredSegment> segments;
    private final Path directory;
    private final int prefetch;
    private final JobControl control;
    private final ExecutorService downloads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Integer, Future<Path>> started = new HashMap<>();
    private final AtomicLong bytesRead = new AtomicLong();
    private volatile int segmentsDone;

    private int index = -1;
    private SegmentReader reader;
    private Iterator<ChangeEnvelope> records;
    private Path local;
    private SequenceValues latestSequences;
    private Lsn sequencesFrom;
    private SequenceValues firstSequencesFrom;

    SegmentStream(
            BlobStore store,
            List<StoredSource.StoredSegment> segments,
            Path directory,
            int prefetch,
            JobControl control) {
        this.store = store;
        this.segments = List.copyOf(segments);
        this.directory = directory;
        this.prefetch = prefetch;
        this.control = control;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the work directory " + directory, e);
        }
    }

    /** How many of this stream's segments start below {@code below} (they come first: the list is in name order). */
    int countBelow(Lsn below) {
        int n = 0;
        for (StoredSource.StoredSegment s : segments) {
            if (s.name().firstLsn().isBefore(below)) {
                n++;
            }
        }
        return n;
    }

    /** Stored size of the segments that start below {@code below}. */
    long bytesBelow(Lsn below) {
        return segments.stream()
                .filter(s -> s.name().firstLsn().isBefore(below))
                .mapToLong(StoredSource.StoredSegment::size)
                .sum();
    }

    /** Segments read to their end so far. */
    int segmentsDone() {
        return segmentsDone;
    }

    /** Stored (compressed) bytes read so far. */
    long bytesRead() {
        return bytesRead.get();
    }

    /**
     * The transaction chunks of the segments that start below {@code below}, in stream order (repeats and overlaps as
     * stored). Sequence snapshots on the way are remembered for {@link #sequencesFor}.
     */
    Iterator<TransactionChunk> chunks(Lsn below) {
        int limit = countBelow(below);
        sequencesFrom = below;
        return new Iterator<>() {
            private TransactionChunk next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    ChangeEnvelope e = nextRecord(limit);
                    if (e == null) {
                        return false;
                    }
                    if (e.getBody() instanceof TransactionChunk c) {
                        next = c;
                    }
                }
                return true;
            }

            @Override
            public TransactionChunk next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                TransactionChunk c = next;
                next = null;
                return c;
            }
        };
    }

    /**
     * The sequence snapshot a restore with cut-off {@code cutoff} sets sequences from (DESIGN.md): the first one taken
     * at or after the cut-off, reading on through the remaining segments if the replay did not meet one, else the
     * latest one read. Empty when no segment read holds one.
     */
    Optional<SequenceValues> sequencesFor(Lsn cutoff) {
        if (sequencesFrom == null || !sequencesFrom.equals(cutoff)) {
            sequencesFrom = cutoff;
            firstSequencesFrom = null;
        }
        while (firstSequencesFrom == null) {
            if (nextRecord(segments.size()) == null) {
                break;
            }
        }
        return Optional.ofNullable(firstSequencesFrom != null ? firstSequencesFrom : latestSequences);
    }

    private ChangeEnvelope nextRecord(int limit) {
        while (true) {
            control.check();
            if (records != null) {
                try {
                    if (records.hasNext()) {
                        ChangeEnvelope e = records.next();
                        if (e.getBody() instanceof SequenceValues s) {
                            see(s);
                        }
                        return e;
                    }
                } catch (AvroRuntimeException e) {
                    throw new RecallException(
                            "stored segment " + segments.get(index).key() + " is unreadable: " + e.getMessage(), e);
                }
                closeCurrent();
                segmentsDone = index + 1;
            }
            if (index + 1 >= limit) {
                return null;
            }
            open(index + 1);
        }
    }

    private void see(SequenceValues s) {
        Lsn at = new Lsn(s.getLsn());
        if (latestSequences == null || at.isAfter(new Lsn(latestSequences.getLsn()))) {
            latestSequences = s;
        }
        if (sequencesFrom != null && !at.isBefore(sequencesFrom) && firstSequencesFrom == null) {
            firstSequencesFrom = s;
        }
    }

    private void open(int i) {
        index = i;
        for (int k = i; k < Math.min(segments.size(), i + 1 + prefetch); k++) {
            int n = k;
            started.computeIfAbsent(n, x -> downloads.submit(() -> download(segments.get(n))));
        }
        StoredSource.StoredSegment s = segments.get(i);
        try {
            local = started.remove(i).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            control.check();
            throw new JobStoppedException(JobControl.Stop.SHUTDOWN, "interrupted while downloading " + s.key());
        } catch (ExecutionException e) {
            throw new RecallException(
                    "cannot download stored segment " + s.key() + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        }
        try {
            reader = SegmentReader.open(new Counting(Files.newInputStream(local), bytesRead));
        } catch (IOException e) {
            throw new RecallException("stored segment " + s.key() + " is unreadable: " + e.getMessage(), e);
        }
        records = reader.iterator();
        log.debug("reading {} ({} bytes)", s.key(), s.size());
    }

    private Path download(StoredSource.StoredSegment s) throws IOException {
        Path file = Files.createTempFile(directory, "segment-", ".avro");
        try (InputStream in = store.open(s.key())) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    private void closeCurrent() {
        try {
            if (reader != null) {
                reader.close();
            }
            if (local != null) {
                Files.deleteIfExists(local);
            }
        } catch (IOException e) {
            log.warn("cannot clean up {}: {}", local, e.toString());
        }
        reader = null;
        records = null;
        local = null;
    }

    /** Stops downloads and deletes every local copy. */
    @Override
    public void close() {
        closeCurrent();
        downloads.shutdownNow();
        downloads.close();
        for (Future<Path> f : started.values()) {
            try {
                Path p = f.isDone() && !f.isCancelled() ? f.get() : null;
                if (p != null) {
                    Files.deleteIfExists(p);
                }
            } catch (ExecutionException | IOException e) {
                log.debug("a prefetched segment could not be cleaned up: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        started.clear();
    }

    /** Counts what is read from a local segment. */
    private static final class Counting extends FilterInputStream {

        private final AtomicLong count;

        Counting(InputStream in, AtomicLong count) {
            super(in);
            this.count = count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count.addAndGet(n);
            }
            return n;
        }
    }
}
