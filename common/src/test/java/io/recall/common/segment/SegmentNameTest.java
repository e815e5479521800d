package io.recall.common.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentNameTest {

    final SourceId source = SourceId.parse("0b5e4a3c-2f7d-4c1e-9a8b-7d6c5e4f3a2b");

    @Test
    void keysFollowTheStorageLayoutWithSixteenHexDigits() {
        SegmentName name = new SegmentName(source, Lsn.parse("0/16B3748"), Lsn.parse("1/9F00"));

        assertThat(name.key())
                .isEqualTo("sources/0b5e4a3c-2f7d-4c1e-9a8b-7d6c5e4f3a2b/segments/"
                        + "00000000016B3748-0000000100009F00.avro");
        assertThat(name.key()).startsWith(SegmentName.prefix(source));
    }

    @Test
    void keysParseBackToTheSameName() {
        SegmentName name = new SegmentName(source, Lsn.parse("A/0"), Lsn.parse("FFFFFFFF/FFFFFFFF"));

        assertThat(SegmentName.parse(name.key())).isEqualTo(name);
    }

    @Test
    void otherKeysAreNotSegments() {
        assertThat(SegmentName.tryParse("sources/" + source + "/base/b1/manifest.json"))
                .isEmpty();
        assertThat(SegmentName.tryParse("sources/" + source + "/segments/16B3748-16B9F00.avro"))
                .as("unpadded")
                .isEmpty();
        assertThat(SegmentName.tryParse("sources/not-a-uuid-at-all-but-thirty-six-c/segments/"
                        + "00000000016B3748-00000000016B9F00.avro"))
                .isEmpty();
        assertThatThrownBy(() -> SegmentName.parse("x.avro")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysSortInLsnOrderWhereThePostgresFormWouldNot() {
        List<SegmentName> names = List.of(
                new SegmentName(source, Lsn.parse("0/9"), Lsn.parse("0/F")),
                new SegmentName(source, Lsn.parse("0/10"), Lsn.parse("0/FFFFFFFF")),
                new SegmentName(source, Lsn.parse("1/0"), Lsn.parse("1/0")),
                new SegmentName(source, Lsn.parse("A/0"), Lsn.parse("10/0")));
        List<String> keys = new ArrayList<>(names.stream().map(SegmentName::key).toList());
        Collections.shuffle(keys);
        Collections.sort(keys);

        assertThat(keys)
                .containsExactlyElementsOf(names.stream().map(SegmentName::key).toList());
        assertThat(names.stream().sorted().toList()).containsExactlyElementsOf(names);
    }

    @Test
    void aRangeThatEndsBeforeItStartsIsRefused() {
        assertThatThrownBy(() -> new SegmentName(source, Lsn.parse("0/20"), Lsn.parse("0/10")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
