package io.recall.common.segment;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * The storage baseline of issue 4 and of the benchmark suite: the same changes as gzip-compressed NDJSON (one JSON
 * object per change, the format Recall's predecessor used), and the bytes a segment takes for them. Used by
 * {@link SegmentCompressionTest} on generated workloads and by the benchmark suite on captured ones.
 */
public final class NdjsonBaseline {

    private NdjsonBaseline() {}

    /** Bytes of a sealed segment holding {@code stream} (only its {@link TransactionChunk}s carry changes). */
    public static long segmentBytes(List<ChangeEnvelope> stream, SegmentWriter.Options options, Path spool)
            throws IOException {
        SourceId source = SourceId.parse(stream.get(0).getSourceId());
        try (SegmentWriter writer = SegmentWriter.create(source, spool, options, Lsn.INVALID, null)) {
            for (ChangeEnvelope e : stream) {
                writer.append(e);
            }
            SealedSegment sealed = writer.finish();
            try {
                return sealed.writeTo(OutputStream.nullOutputStream());
            } finally {
                sealed.delete();
            }
        }
    }

    /** Row changes (not messages or truncates) in {@code stream}'s transaction chunks. */
    public static long changes(List<ChangeEnvelope> stream) {
        return stream.stream()
                .filter(e -> e.getBody() instanceof TransactionChunk)
                .mapToLong(e -> ((TransactionChunk) e.getBody()).getChanges().size())
                .sum();
    }

    /**
     * One object per change: source, transaction, operation, table, the new row ({@code row}) and the old one
     * ({@code old}, or {@code key} with only the key columns) as column name to text value. An unchanged TOASTed value
     * is left out, as it is not in the row.
     */
    public static long gzippedBytes(List<ChangeEnvelope> stream) throws IOException {
        CountingStream counted = new CountingStream();
        try (Writer out = new OutputStreamWriter(new GZIPOutputStream(counted), StandardCharsets.UTF_8)) {
            for (ChangeEnvelope e : stream) {
                if (!(e.getBody() instanceof TransactionChunk c)) {
                    continue;
                }
                Map<Integer, RelationDef> relations = new HashMap<>();
                c.getRelations().forEach(r -> relations.put(r.getRelationId(), r));
                for (RowChange change : c.getChanges()) {
                    RelationDef r = relations.get(change.getRelationId());
                    StringBuilder json = new StringBuilder(256);
                    json.append("{\"source\":");
                    string(json, e.getSourceId());
                    json.append(",\"xid\":").append(c.getXid());
                    json.append(",\"lsn\":");
                    string(json, new Lsn(c.getCommitLsn()).toString());
                    json.append(",\"commitTime\":");
                    string(json, c.getCommitTime().toString());
                    json.append(",\"op\":");
                    string(json, change.getOp().name());
                    json.append(",\"schema\":");
                    string(json, r.getSchema$());
                    json.append(",\"table\":");
                    string(json, r.getTable());
                    if (change.getNewValues() != null) {
                        json.append(",\"row\":");
                        row(json, r, change.getNewValues(), false);
                    }
                    if (change.getOldValues() != null) {
                        json.append(change.getOldIsKey() ? ",\"key\":" : ",\"old\":");
                        row(json, r, change.getOldValues(), change.getOldIsKey());
                    }
                    json.append("}\n");
                    out.write(json.toString());
                }
            }
        }
        return counted.count;
    }

    private static void row(StringBuilder json, RelationDef r, List<Object> values, boolean keyOnly) {
        json.append('{');
        boolean first = true;
        for (int i = 0; i < values.size(); i++) {
            Object v = values.get(i);
            if (v instanceof UnchangedToast
                    || (keyOnly && !r.getColumns().get(i).getKey())) {
                continue;
            }
            if (!first) {
                json.append(',');
            }
            first = false;
            string(json, r.getColumns().get(i).getName());
            json.append(':');
            switch (v) {
                case null -> json.append("null");
                case String s -> string(json, s);
                case ByteBuffer b -> string(json, "\\x" + HexFormat.of().formatHex(bytes(b)));
                default -> throw new IllegalArgumentException("no JSON form for " + v.getClass() + " values");
            }
        }
        json.append('}');
    }

    private static void string(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        json.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        json.append(ch);
                    }
                }
            }
        }
        json.append('"');
    }

    private static final class CountingStream extends OutputStream {

        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
