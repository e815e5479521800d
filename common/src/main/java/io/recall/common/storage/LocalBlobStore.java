package io.recall.common.storage;

import io.recall.common.errors.RecallException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BlobStore} over a local (or mounted) file system: blob {@code k} is the file {@code root/prefix/k}.
 *
 * <p>Writes go to a temporary file (named {@value BlobKeys#RESERVED_SEGMENT_PREFIX}{@code partial-…}, which no key can
 * name and {@link #list} skips) in the target's directory; commit fsyncs the file, renames it over the target
 * atomically and fsyncs the directory, so a blob is visible only whole and survives a crash once commit returns.
 * Directories that a write creates are fsynced into their parents; those that a delete empties are removed.
 * Temporary files left by a crashed process are never listed and can be removed by hand.
 *
 * <p>Thread-safe: every operation works on its own file handles, and the directory pruning that {@link #delete} does
 * is tolerated by writers (they recreate a directory that vanished under them).
 */
final class LocalBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(LocalBlobStore.class);

    static final String TEMP_PREFIX = BlobKeys.RESERVED_SEGMENT_PREFIX + "partial-";
    private static final int WRITE_BUFFER_BYTES = 64 * 1024;
    private static final int DIRECTORY_ATTEMPTS = 5;

    private final Path base;
    private volatile boolean closed;

    /**
     * @param root the directory that holds this deployment's blobs (created if missing)
     * @param prefix the deployment-wide prefix, a directory under {@code root}; may be empty
     */
    LocalBlobStore(Path root, String prefix) {
        String normalized = BlobKeys.normalizeDeploymentPrefix(prefix);
        Path resolved = root.toAbsolutePath().normalize();
        if (!normalized.isEmpty()) {
            resolved = resolve(resolved, BlobKeys.requireKey(normalized));
        }
        this.base = resolved;
        try {
            Files.createDirectories(base);
        } catch (IOException e) {
            throw new StorageException("cannot create the local storage directory " + base + ": " + e, e);
        }
    }

    /** The directory that holds the blobs: the root with the deployment prefix applied. */
    Path baseDirectory() {
        return base;
    }

    @Override
    public BlobWriter create(String key) {
        ensureOpen();
        Path target = pathOf(key);
        return new LocalBlobWriter(key, target, createTempFile(key, target));
    }

    @Override
    public BlobInfo put(String key, byte[] content) {
        try (BlobWriter writer = create(key)) {
            writer.write(content);
            return writer.commit();
        } catch (IOException e) {
            throw new StorageException("cannot write blob " + key + " under " + base + ": " + e, e);
        }
    }

    @Override
    public InputStream open(String key) {
        return open(key, 0, Long.MAX_VALUE);
    }

    @Override
    public InputStream open(String key, long offset, long length) {
        ensureOpen();
        Path path = pathOf(key);
        BlobKeys.requireRange(offset, length);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            // A directory opens for reading on Linux (reads then fail): it is not a blob.
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                channel.close();
                throw new BlobNotFoundException(key);
            }
            long size = channel.size();
            long start = Math.min(offset, size);
            long end = length > size - start ? size : start + length;
            return new ChannelRangeInputStream(channel, start, end);
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw new BlobNotFoundException(key);
        } catch (IOException e) {
            closeQuietly(channel, e);
            if (isBelowABlob(path)) {
                throw new BlobNotFoundException(key);
            }
            throw new StorageException("cannot read blob " + key + " under " + base + ": " + e, e);
        }
    }

    @Override
    public Optional<BlobInfo> stat(String key) {
        ensureOpen();
        Path path = pathOf(key);
        try {
            BasicFileAttributes attributes =
                    Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(info(key, attributes));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (isBelowABlob(path)) {
                return Optional.empty();
            }
            throw new StorageException("cannot stat blob " + key + " under " + base + ": " + e, e);
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
        int lastSlash = prefix.lastIndexOf('/');
        Path start = lastSlash < 0 ? base : resolve(base, prefix.substring(0, lastSlash));
        List<BlobInfo> found = new ArrayList<>();
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    if (attributes.isRegularFile()
                            && !file.getFileName().toString().startsWith(BlobKeys.RESERVED_SEGMENT_PREFIX)) {
                        String key = keyOf(file);
                        if (key.startsWith(prefix)) {
                            found.add(info(key, attributes));
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    // A file or directory deleted while we walk is simply not listed.
                    if (e instanceof NoSuchFileException || e instanceof NotDirectoryException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new StorageException("cannot list prefix " + prefix + " under " + base + ": " + e, e);
        }
        found.sort(Comparator.comparing(BlobInfo::key));
        return found;
    }

    @Override
    public void delete(String key) {
        ensureOpen();
        Path path = pathOf(key);
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                return; // a directory of other blobs, not a blob
            }
            if (Files.deleteIfExists(path)) {
                fsyncDirectory(path.getParent());
                pruneEmptyDirectories(path.getParent());
            }
        } catch (IOException e) {
            if (isBelowABlob(path)) {
                return; // the key cannot exist
            }
            throw new StorageException("cannot delete blob " + key + " under " + base + ": " + e, e);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "LocalBlobStore[" + base + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private Path pathOf(String key) {
        return resolve(base, BlobKeys.requireKey(key));
    }

    /** Resolves validated {@code '/'}-separated segments, which cannot leave {@code directory}. */
    private static Path resolve(Path directory, String relative) {
        Path path = directory;
        for (String segment : relative.split("/", -1)) {
            path = path.resolve(segment);
        }
        return path;
    }

    private String keyOf(Path file) {
        Path relative = base.relativize(file);
        StringBuilder key = new StringBuilder();
        for (Path segment : relative) {
            if (!key.isEmpty()) {
                key.append('/');
            }
            key.append(segment);
        }
        return key.toString();
    }

    /**
     * Whether a directory on the way to {@code path} is a file (a blob), which makes the path "Not a directory" for
     * the kernel: such a key cannot exist. The JDK reports ENOTDIR as a plain {@code FileSystemException}.
     */
    private boolean isBelowABlob(Path path) {
        for (Path parent = path.getParent();
                parent != null && !parent.equals(base) && parent.startsWith(base);
                parent = parent.getParent()) {
            if (Files.isRegularFile(parent, LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return false;
    }

    private static BlobInfo info(String key, BasicFileAttributes attributes) {
        return new BlobInfo(
                key, attributes.size(), attributes.lastModifiedTime().toInstant());
    }

    /**
     * Creates the temporary file for a write next to {@code target}, creating (and fsyncing) missing directories. A
     * concurrent {@link #delete} may prune a directory between its creation and the temporary file's; then try again.
     */
    private Path createTempFile(String key, Path target) {
        Path directory = target.getParent();
        NoSuchFileException lastRace = null;
        for (int attempt = 0; attempt < DIRECTORY_ATTEMPTS; attempt++) {
            try {
                createDirectories(key, directory);
                return Files.createTempFile(directory, TEMP_PREFIX, "");
            } catch (NoSuchFileException e) {
                lastRace = e;
            } catch (IOException e) {
                throw new StorageException("cannot start writing blob " + key + " under " + base + ": " + e, e);
            }
        }
        throw new StorageException(
                "cannot start writing blob " + key + " under " + base + ": its directory keeps vanishing", lastRace);
    }

    private void createDirectories(String key, Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Path parent = directory.getParent();
        if (!directory.equals(base) && parent != null) {
            createDirectories(key, parent);
        }
        try {
            Files.createDirectory(directory);
            fsyncDirectory(parent);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(directory)) {
                throw new RecallException(
                        "cannot write blob " + key + ": " + base.relativize(directory)
                                + " is a blob, so it cannot also be a directory of blobs on local storage",
                        e);
            }
        }
    }

    /** Removes directories emptied by a delete, up to (not including) the base directory. */
    private void pruneEmptyDirectories(Path directory) throws IOException {
        Path current = directory;
        while (current != null && !current.equals(base) && current.startsWith(base)) {
            try {
                Files.delete(current);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            }
            current = current.getParent();
            fsyncDirectory(current);
        }
    }

    /** Makes a directory's entries (a rename, a new or deleted file) durable. */
    private static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (NoSuchFileException e) {
            // pruned concurrently: nothing left to make durable
        }
    }

    private static void closeQuietly(AutoCloseable closeable, Exception failure) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception suppressed) {
            failure.addSuppressed(suppressed);
        }
    }

    private enum State {
        OPEN,
        COMMITTED,
        ABORTED
    }

    /** Writes a temporary file, then renames it over the target on commit. */
    private final class LocalBlobWriter extends BlobWriter {

        private final String key;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private long written;
        private State state = State.OPEN;

        LocalBlobWriter(String key, Path target, Path temp) {
            this.key = key;
            this.target = target;
            this.temp = temp;
            try {
                this.channel = FileChannel.open(temp, StandardOpenOption.WRITE);
            } catch (IOException e) {
                deleteTemp(e);
                throw new StorageException("cannot start writing blob " + key + " under " + base + ": " + e, e);
            }
            this.out = new BufferedOutputStream(Channels.newOutputStream(channel), WRITE_BUFFER_BYTES);
        }

        @Override
        public void write(int b) throws IOException {
            ensureWritable();
            try {
                out.write(b);
            } catch (IOException e) {
                throw fail("write", e);
            }
            written++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            ensureWritable();
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {
                throw fail("write", e);
            }
            written += length;
        }

        @Override
        public void flush() throws IOException {
            ensureWritable();
            try {
                out.flush();
            } catch (IOException e) {
                throw fail("write", e);
            }
        }

        @Override
        public BlobInfo commit() throws IOException {
            if (state == State.COMMITTED) {
                throw new IllegalStateException("blob " + key + " is already committed");
            }
            ensureWritable();
            try {
                out.flush();
                channel.force(true);
                channel.close();
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    abort(null);
                    throw new RecallException("cannot write blob " + key + ": " + target
                            + " is a directory of other blobs, so it cannot also be a blob on local storage");
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                fsyncDirectory(target.getParent());
                state = State.COMMITTED;
                return new BlobInfo(
                        key, written, Files.getLastModifiedTime(target).toInstant());
            } catch (IOException e) {
                throw fail("commit", e);
            }
        }

        @Override
        public long bytesWritten() {
            return written;
        }

        @Override
        public void close() {
            if (state == State.OPEN) {
                abort(null);
            }
        }

        private void ensureWritable() throws IOException {
            if (state != State.OPEN) {
                throw new IOException(
                        "writer for blob " + key + " is " + state.name().toLowerCase(Locale.ROOT));
            }
        }

        private StorageException fail(String what, IOException e) {
            abort(e);
            return new StorageException("cannot " + what + " blob " + key + " under " + base + ": " + e, e);
        }

        private void abort(Exception failure) {
            state = State.ABORTED;
            try {
                channel.close();
            } catch (IOException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                }
            }
            deleteTemp(failure);
        }

        private void deleteTemp(Exception failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                }
                // Harmless beyond the disk space: list() never shows temporary files.
                log.warn("cannot remove the temporary file {} of an aborted write", temp, e);
            }
        }
    }
}
