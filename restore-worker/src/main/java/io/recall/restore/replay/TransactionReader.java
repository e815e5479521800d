package io.recall.restore.replay;

import io.recall.common.Lsn;
import io.recall.common.ddl.DdlCapture;
import io.recall.schemas.change.ColumnDef;
import io.recall.schemas.change.LargeValuePart;
import io.recall.schemas.change.LargeValueRef;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a source's stream of {@link TransactionChunk}s into whole transactions, each exactly once, in commit-LSN order
 * (invariant I2), from the base backup's consistent point up to a {@link Cutoff}.
 *
 * <h2>Input</h2>
 *
 * The chunks come in commit-LSN order as segments hold them, but a record may repeat (a producer retry) and segments
 * may overlap (a sink retry), so the stream can step back to chunks already read. A transaction is identified by its
 * commit LSN. The reader skips every chunk of a transaction it has delivered, every chunk below {@code startAt},
 * non-transactional logical messages (xid 0), and inside a transaction every chunk index it has consumed already.
 * A repeated chunk must equal the copy consumed before (a fingerprint is kept per consumed chunk of the open
 * transaction): if the capture re-cut a transaction differently the reader fails instead of mixing two cuts. A
 * missing chunk, a stream that ends inside a transaction, or a new transaction that starts before the open one is
 * complete fail with {@link ReplayStreamException}. The first chunk at or past the cut-off ends the stream: in an
 * ordered stream nothing after it can be below the cut-off and not yet delivered.
 *
 * <h2>Memory</h2>
 *
 * Chunks are consumed as the caller asks for changes: only the open chunk is held, so a transaction larger than memory
 * streams through. The one exception is a single value split into {@link LargeValuePart}s: it is reassembled whole,
 * since it is bound whole to one statement. Large values and logical messages are resolved here: {@link Change}s hold
 * plain text values and the {@link Change#UNCHANGED_TOAST} marker only; logical messages carry no rows and are left
 * out.
 *
 * <p>Not thread-safe: one reader per replay, used by one thread.
 */
public final class TransactionReader {

    private final Iterator<TransactionChunk> chunks;
    private final Lsn startAt;
    private final Cutoff cutoff;
    private final Map<Integer, CachedRelation> relationCache = new HashMap<>();

    private Transaction open;
    private boolean ended;
    private boolean anyDelivered;
    private long lastDeliveredLsn;
    private CommitHeader lastDelivered;
    private long delivered;
    private long skippedChunks;
    private long changeCount;

    private record CachedRelation(RelationDef def, SourceRelation relation) {}

    /**
     * @param chunks the stream, in commit-LSN order with repeats allowed
     * @param startAt the first commit LSN to deliver: the base backup's consistent point, or just past the last
     *     transaction already applied when a replay resumes
     * @param cutoff where to stop
     */
    public TransactionReader(Iterator<TransactionChunk> chunks, Lsn startAt, Cutoff cutoff) {
        this.chunks = Objects.requireNonNull(chunks, "chunks");
        this.startAt = Objects.requireNonNull(startAt, "startAt");
        this.cutoff = Objects.requireNonNull(cutoff, "cutoff");
    }

    /**
     * The next whole transaction, or null at the end (stream exhausted or cut-off reached). Changes of the previous
     * transaction that the caller did not read are skipped (and still checked).
     */
    public Transaction next() {
        if (open != null) {
            open.skipRest();
            open = null;
        }
        while (!ended) {
            if (!chunks.hasNext()) {
                ended = true;
                break;
            }
            TransactionChunk c = chunks.next();
            if (c.getXid() == 0) {
                continue; // a non-transactional logical message
            }
            Lsn lsn = new Lsn(c.getCommitLsn());
            if (alreadyHandled(lsn)) {
                skippedChunks++;
                continue;
            }
            if (!cutoff.includes(lsn)) {
                ended = true;
                break;
            }
            if (c.getChunkIndex() != 0) {
                throw new ReplayStreamException("the transaction that committed at " + lsn + " (xid " + c.getXid()
                        + ") starts with chunk " + c.getChunkIndex() + ": chunks 0.." + (c.getChunkIndex() - 1)
                        + " are missing from the stream");
            }
            open = new Transaction(c);
            return open;
        }
        return null;
    }

    /** Every commit in the stream, in stream order (repeats included): what {@link CutoffResolver} scans. */
    public static Iterator<CommitHeader> headers(Iterator<TransactionChunk> chunks) {
        return new Iterator<>() {
            private CommitHeader next;

            @Override
            public boolean hasNext() {
                while (next == null && chunks.hasNext()) {
                    TransactionChunk c = chunks.next();
                    if (c.getChunkIndex() == 0 && c.getXid() != 0) {
                        next = new CommitHeader(new Lsn(c.getCommitLsn()), c.getCommitTime(), c.getXid());
                    }
                }
                return next != null;
            }

            @Override
            public CommitHeader next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                CommitHeader h = next;
                next = null;
                return h;
            }
        };
    }

    /** The last transaction delivered whole, if any. */
    public Optional<CommitHeader> lastDelivered() {
        return Optional.ofNullable(lastDelivered);
    }

    /** Transactions delivered whole so far. */
    public long transactionsDelivered() {
        return delivered;
    }

    /** Changes handed out so far. */
    public long changesDelivered() {
        return changeCount;
    }

    /** Chunks skipped as repeats of chunks already read (or below the start). */
    public long chunksSkipped() {
        return skippedChunks;
    }

    private boolean alreadyHandled(Lsn lsn) {
        return lsn.isBefore(startAt) || (anyDelivered && Long.compareUnsigned(lsn.value(), lastDeliveredLsn) <= 0);
    }

    private SourceRelation relation(RelationDef def) {
        CachedRelation cached = relationCache.get(def.getRelationId());
        if (cached != null && sameDefinition(cached.def(), def)) {
            return cached.relation();
        }
        List<SourceRelation.Column> columns = new ArrayList<>(def.getColumns().size());
        for (ColumnDef c : def.getColumns()) {
            columns.add(new SourceRelation.Column(
                    c.getName(), c.getTypeOid(), c.getTypeModifier(), c.getTypeName(), c.getKey()));
        }
        String identity = def.getReplicaIdentity();
        if (identity == null || identity.length() != 1) {
            throw new ReplayStreamException(
                    "relation " + def.getSchema$() + "." + def.getTable() + " has replica identity '" + identity + "'");
        }
        SourceRelation r =
                new SourceRelation(def.getRelationId(), def.getSchema$(), def.getTable(), identity.charAt(0), columns);
        relationCache.put(def.getRelationId(), new CachedRelation(def, r));
        return r;
    }

    /**
     * {@code a.equals(b)} field by field: every chunk repeats the definitions of its relations, and Avro's generic
     * {@code equals} comparing them per chunk was a tenth of a replay's time in its profile (BenchmarkSuite, pgbench).
     */
    static boolean sameDefinition(RelationDef a, RelationDef b) {
        if (a == b) {
            return true;
        }
        if (a.getRelationId() != b.getRelationId()
                || !a.getTable().equals(b.getTable())
                || !a.getSchema$().equals(b.getSchema$())
                || !a.getReplicaIdentity().equals(b.getReplicaIdentity())
                || a.getColumns().size() != b.getColumns().size()) {
            return false;
        }
        for (int i = 0; i < a.getColumns().size(); i++) {
            ColumnDef x = a.getColumns().get(i);
            ColumnDef y = b.getColumns().get(i);
            if (x.getTypeOid() != y.getTypeOid()
                    || x.getTypeModifier() != y.getTypeModifier()
                    || x.getKey() != y.getKey()
                    || !x.getName().equals(y.getName())
                    || !Objects.equals(x.getTypeName(), y.getTypeName())) {
                return false;
            }
        }
        return true;
    }

    /**
     * One whole transaction, read change by change. Valid until {@link TransactionReader#next()} is called again.
     */
    public final class Transaction {

        private final Lsn commitLsn;
        private final long xid;
        private final Instant commitTime;
        private long[] fingerprints = new long[4];
        private int nextIndex;
        private boolean lastChunkRead;
        private boolean finished;

        private List<RowChange> chunkChanges = List.of();
        private int position;
        private Change first;
        private Map<Integer, SourceRelation> chunkRelations = Map.of();
        /** Parts of large values waiting for the next chunk with changes; key (old ? 1 : 0) << 32 | column. */
        private final Map<Long, StringBuilder> parts = new HashMap<>();

        private final Map<Long, Integer> nextPart = new HashMap<>();

        private Transaction(TransactionChunk firstChunk) {
            this.commitLsn = new Lsn(firstChunk.getCommitLsn());
            this.xid = firstChunk.getXid();
            this.commitTime = firstChunk.getCommitTime();
            consume(firstChunk);
        }

        public Lsn commitLsn() {
            return commitLsn;
        }

        /** The 32-bit xid. */
        public long xid() {
            return xid;
        }

        public Instant commitTime() {
            return commitTime;
        }

        public CommitHeader header() {
            return new CommitHeader(commitLsn, commitTime, xid);
        }

        /** The next change, or null once the transaction's last chunk is read and every change handed out. */
        public Change nextChange() {
            while (true) {
                if (position < chunkChanges.size()) {
                    int i = position++;
                    Change c = i == 0 ? first : convert(chunkChanges.get(i), false);
                    if (c != null) {
                        changeCount++;
                        return c;
                    }
                    continue;
                }
                if (lastChunkRead) {
                    finish();
                    return null;
                }
                readNextChunk();
            }
        }

        private void readNextChunk() {
            while (true) {
                if (!chunks.hasNext()) {
                    throw incomplete("the stream ends");
                }
                TransactionChunk c = chunks.next();
                if (c.getXid() == 0) {
                    continue;
                }
                if (c.getCommitLsn() != commitLsn.value()) {
                    if (alreadyHandled(new Lsn(c.getCommitLsn()))) {
                        skippedChunks++; // an overlapping copy of an earlier transaction
                        continue;
                    }
                    throw incomplete("chunk " + c.getChunkIndex() + " of the transaction that committed at "
                            + new Lsn(c.getCommitLsn()) + " follows");
                }
                int index = c.getChunkIndex();
                if (index < nextIndex) {
                    if (fingerprints[index] != fingerprint(c)) {
                        throw new ReplayStreamException("chunk " + index + " of the transaction that committed at "
                                + commitLsn + " appears twice with different content: the stream holds two"
                                + " different cuts of one transaction");
                    }
                    skippedChunks++;
                    continue;
                }
                if (index > nextIndex) {
                    throw incomplete("chunk " + index + " follows");
                }
                consume(c);
                return;
            }
        }

        private ReplayStreamException incomplete(String what) {
            return new ReplayStreamException("the transaction that committed at " + commitLsn + " (xid " + xid
                    + ") is incomplete: after its chunk " + (nextIndex - 1) + " " + what + " (chunk " + nextIndex
                    + " expected)");
        }

        private void consume(TransactionChunk c) {
            if (nextIndex == fingerprints.length) {
                fingerprints = Arrays.copyOf(fingerprints, fingerprints.length * 2);
            }
            // a transaction's last chunk is never compared with a repeat: once it is read no chunk of the
            // transaction is read again (a later copy is skipped as delivered), so most transactions, one chunk
            // each, need no fingerprint at all
            fingerprints[nextIndex++] = c.getLastChunk() ? 0 : fingerprint(c);
            lastChunkRead = c.getLastChunk();
            Map<Integer, SourceRelation> rels = new HashMap<>();
            for (RelationDef def : c.getRelations()) {
                rels.put(def.getRelationId(), relation(def));
            }
            chunkRelations = rels;
            chunkChanges = c.getChanges();
            position = 0;
            if (!chunkChanges.isEmpty()) {
                // parts read so far belong to this chunk's change #0
                first = convert(chunkChanges.get(0), true);
                if (!parts.isEmpty()) {
                    throw new ReplayStreamException("large-value parts before chunk " + c.getChunkIndex()
                            + " of the transaction at " + commitLsn + " are not used by its first change");
                }
                nextPart.clear();
            }
            for (LargeValuePart p : c.getLargeValueParts()) {
                addPart(p);
            }
        }

        private void addPart(LargeValuePart p) {
            if (p.getChangeIndex() != 0) {
                throw new ReplayStreamException("a large-value part of the transaction at " + commitLsn
                        + " is for change #" + p.getChangeIndex() + "; the capture puts them before change #0");
            }
            long key = (p.getOldValue() ? 1L << 32 : 0L) | (p.getColumn() & 0xFFFF_FFFFL);
            int expected = nextPart.getOrDefault(key, 0);
            if (p.getPart() != expected) {
                throw new ReplayStreamException("large value of column " + p.getColumn() + " in the transaction at "
                        + commitLsn + ": part " + p.getPart() + " where part " + expected + " was expected");
            }
            nextPart.put(key, expected + 1);
            parts.computeIfAbsent(key, k -> new StringBuilder()).append(p.getText());
        }

        private void finish() {
            if (finished) {
                return;
            }
            if (!parts.isEmpty()) {
                throw new ReplayStreamException(
                        "the transaction at " + commitLsn + " ends with large-value parts that no change uses");
            }
            finished = true;
            anyDelivered = true;
            lastDeliveredLsn = commitLsn.value();
            lastDelivered = header();
            delivered++;
        }

        private void skipRest() {
            while (nextChange() != null) {
                // read (and check) the rest of the transaction
            }
        }

        private Change convert(RowChange rc, boolean firstOfChunk) {
            return switch (rc.getOp()) {
                case MESSAGE -> {
                    String prefix = rc.getMessagePrefix();
                    if (prefix == null || !prefix.startsWith(DdlCapture.DDL_PREFIX) || rc.getMessageContent() == null) {
                        yield null;
                    }
                    java.nio.ByteBuffer b = rc.getMessageContent().duplicate();
                    byte[] content = new byte[b.remaining()];
                    b.get(content);
                    yield Change.message(prefix, content);
                }
                case TRUNCATE -> {
                    List<SourceRelation> truncated =
                            new ArrayList<>(rc.getTruncatedRelations().size());
                    for (int id : rc.getTruncatedRelations()) {
                        truncated.add(chunkRelation(id));
                    }
                    yield new Change(
                            Change.Kind.TRUNCATE,
                            null,
                            null,
                            null,
                            false,
                            truncated,
                            rc.getTruncateCascade(),
                            rc.getTruncateRestartIdentity());
                }
                case INSERT, UPDATE, DELETE -> {
                    SourceRelation rel = chunkRelation(rc.getRelationId());
                    Object[] newValues = values(rc.getNewValues(), rel, false, firstOfChunk);
                    Object[] oldValues = values(rc.getOldValues(), rel, true, firstOfChunk);
                    Change.Kind kind = switch (rc.getOp()) {
                        case INSERT -> Change.Kind.INSERT;
                        case UPDATE -> Change.Kind.UPDATE;
                        default -> Change.Kind.DELETE;
                    };
                    if ((kind != Change.Kind.DELETE && newValues == null)
                            || (kind == Change.Kind.DELETE && oldValues == null)) {
                        throw new ReplayStreamException(kind + " on " + rel.displayName() + " in the transaction at "
                                + commitLsn + " carries no " + (kind == Change.Kind.DELETE ? "old" : "new") + " row");
                    }
                    yield new Change(kind, rel, newValues, oldValues, rc.getOldIsKey(), null, false, false);
                }
            };
        }

        private SourceRelation chunkRelation(int id) {
            SourceRelation r = chunkRelations.get(id);
            if (r == null) {
                throw new ReplayStreamException("a change in the transaction at " + commitLsn + " refers to relation "
                        + id + ", which its chunk does not define");
            }
            return r;
        }

        private Object[] values(List<Object> values, SourceRelation rel, boolean old, boolean firstOfChunk) {
            if (values == null) {
                return null;
            }
            if (values.size() != rel.columns().size()) {
                throw new ReplayStreamException(
                        "a change on " + rel.displayName() + " in the transaction at " + commitLsn + " has "
                                + values.size() + " values for " + rel.columns().size() + " columns");
            }
            Object[] out = new Object[values.size()];
            for (int i = 0; i < out.length; i++) {
                Object v = values.get(i);
                out[i] = switch (v) {
                    case null -> null;
                    case String s -> s;
                    case UnchangedToast u -> Change.UNCHANGED_TOAST;
                    case LargeValueRef ref -> largeValue(ref, old, i, firstOfChunk, rel);
                    case ByteBuffer b ->
                        throw new ReplayStreamException(
                                "column " + rel.columns().get(i).name() + " of " + rel.displayName()
                                        + " arrived in binary form; replay needs pgoutput's text form");
                    default ->
                        throw new ReplayStreamException(
                                "unexpected value type " + v.getClass().getName() + " in " + rel.displayName());
                };
            }
            return out;
        }

        private String largeValue(
                LargeValueRef ref, boolean old, int column, boolean firstOfChunk, SourceRelation rel) {
            long key = (old ? 1L << 32 : 0L) | (column & 0xFFFF_FFFFL);
            StringBuilder b = firstOfChunk ? parts.remove(key) : null;
            int count = nextPart.getOrDefault(key, 0);
            if (b == null || count != ref.getParts() || b.length() != ref.getLength()) {
                throw new ReplayStreamException("large value of " + rel.displayName() + "."
                        + rel.columns().get(column).name() + " in the transaction at " + commitLsn + ": expected "
                        + ref.getParts() + " parts and " + ref.getLength() + " characters, found "
                        + (b == null ? "none" : count + " parts and " + b.length() + " characters"));
            }
            return b.toString();
        }
    }

    /**
     * A digest of what a chunk carries, to tell a repeat of a consumed chunk from a different cut: its changes and
     * large-value parts whole, its relations by id and column count (a chunk's changes are decoded with them; the
     * whole definitions, hashed per chunk as the chunk's own {@code hashCode} does, were most of a replay's time in
     * hashing in its profile). Strings hash with the JDK's vectorized, cached {@code String.hashCode}.
     */
    private static long fingerprint(TransactionChunk c) {
        long h = mix(c.getChunkIndex(), c.getLastChunk() ? 1 : 0);
        h = mix(h, c.getEndLsn());
        for (RelationDef r : c.getRelations()) {
            h = mix(h, ((long) r.getRelationId() << 32) | r.getColumns().size());
        }
        for (RowChange ch : c.getChanges()) {
            h = mix(h, ch.hashCode());
        }
        for (LargeValuePart p : c.getLargeValueParts()) {
            h = mix(h, p.hashCode());
        }
        return h;
    }

    private static long mix(long h, long x) {
        return Long.rotateLeft((h ^ x) * 0x9E3779B97F4A7C15L, 31);
    }
}
