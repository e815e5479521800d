package io.recall.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CliTableTest {

    @Test
    void columnsAreAlignedAbsentCellsDashedAndLinesHaveNoTrailingBlanks() {
        Table table = new Table("ID", "NAME", "STATUS")
                .row("1", "orders-db", "STREAMING")
                .row("22", "é-db", null)
                .row("333", "x", "");
        assertThat(table.lines())
                .containsExactly("ID   NAME       STATUS", "1    orders-db  STREAMING", "22   é-db       -", "333  x");
    }

    @Test
    void aRowMustFillTheHeaders() {
        assertThatThrownBy(() -> new Table("A", "B").row("only one")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fieldsAlignValuesAndLeaveOutAbsentOnes() {
        assertThat(new Fields()
                        .add("id", "abc")
                        .add("last error", null)
                        .add("status", "PAUSED")
                        .lines())
                .containsExactly("id:      abc", "status:  PAUSED");
    }

    @Test
    void durationsShowTheirTwoLargestUnits() {
        assertThat(Formats.duration(Duration.ofMillis(850))).isEqualTo("850ms");
        assertThat(Formats.duration(Duration.ofSeconds(45))).isEqualTo("45s");
        assertThat(Formats.duration(Duration.ofSeconds(187))).isEqualTo("3m 07s");
        assertThat(Formats.duration(Duration.ofMinutes(125))).isEqualTo("2h 05m");
        assertThat(Formats.duration(Duration.ofHours(76))).isEqualTo("3d 04h");
        assertThat(Formats.duration(Duration.ofSeconds(-5))).isEqualTo("0ms");
    }

    @Test
    void numbersAndSizes() {
        assertThat(Formats.count(1_234_567)).isEqualTo("1,234,567");
        assertThat(Formats.compact(950)).isEqualTo("950");
        assertThat(Formats.compact(58_234.5)).isEqualTo("58.2k");
        assertThat(Formats.compact(1_250_000)).isEqualTo("1.3M");
        assertThat(Formats.bytes(512)).isEqualTo("512 B");
        assertThat(Formats.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Formats.bytes(3L << 30)).isEqualTo("3.0 GiB");
    }

    @Test
    void timesAreShownInUtcWithTheirPrecision() {
        assertThat(Formats.time("2026-11-23T11:00:00.123456+01:00")).isEqualTo("2026-11-23T10:00:00.123456Z");
        assertThat(Formats.time(null)).isNull();
        assertThat(Formats.time("not a time")).isEqualTo("not a time");
    }

    @Test
    void passwordsInEchoedTextAreMasked() {
        assertThat(Secrets.mask("bad value 'postgresql://app:s3cr%40t@db:5432/orders?sslmode=require'"))
                .isEqualTo("bad value 'postgresql://app:****@db:5432/orders?sslmode=require'");
        assertThat(Secrets.mask("host=db password='it\\'s secret' dbname=x"))
                .isEqualTo("host=db password=**** dbname=x");
        assertThat(Secrets.mask("host=db PASSWORD = hunter2 user=u")).isEqualTo("host=db PASSWORD = **** user=u");
        assertThat(Secrets.mask("postgres://nopassword@db/x")).isEqualTo("postgres://nopassword@db/x");
    }
}
