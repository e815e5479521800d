package io.recall.cli.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class CliTargetSpecTest {

    @Test
    void latestInAnyCase() {
        assertThat(TargetSpec.parse("latest").json()).isEqualTo(Map.of("latest", true));
        assertThat(TargetSpec.parse(" LATEST ").describe()).isEqualTo("latest");
    }

    @Test
    void anLsnIsNormalisedAsPostgresPrintsIt() {
        assertThat(TargetSpec.parse("0/16b3748").json()).isEqualTo(Map.of("lsn", "0/16B3748"));
        assertThat(TargetSpec.parse("lsn:1A/0").json()).isEqualTo(Map.of("lsn", "1A/0"));
        assertThat(TargetSpec.parse("0/16B3748").describe()).isEqualTo("LSN 0/16B3748");
    }

    @Test
    void aTimeWithAnOffsetIsSentInUtc() {
        assertThat(TargetSpec.parse("2026-11-23T10:00:00Z").json()).isEqualTo(Map.of("time", "2026-11-23T10:00:00Z"));
        assertThat(TargetSpec.parse("2026-11-23T11:30:00.25+01:00").json())
                .isEqualTo(Map.of("time", "2026-11-23T10:30:00.250Z"));
    }

    @Test
    void aTimeAsPsqlPrintsItIsAccepted() {
        assertThat(TargetSpec.parse("2026-11-23 11:00:00.123456+01").json())
                .isEqualTo(Map.of("time", "2026-11-23T10:00:00.123456Z"));
        assertThat(TargetSpec.parse("2026-11-23 10:00:00-05").json()).isEqualTo(Map.of("time", "2026-11-23T15:00:00Z"));
    }

    @Test
    void aTimeWithoutAZoneIsRefusedWithTheFix() {
        assertThatThrownBy(() -> TargetSpec.parse("2026-11-23T10:00:00"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no zone offset")
                .hasMessageContaining("2026-11-23T10:00:00Z");
    }

    @Test
    void transactionIdsWithOrWithoutPrefix() {
        assertThat(TargetSpec.parse("xid:1234").json()).isEqualTo(Map.of("xid", 1234L));
        assertThat(TargetSpec.parse("1234").json()).isEqualTo(Map.of("xid", 1234L));
        // an epoch-qualified xid8 (epoch 5)
        assertThat(TargetSpec.parse("21474837714").json()).isEqualTo(Map.of("xid", 21_474_837_714L));
        assertThat(TargetSpec.parse("xid:42").describe()).isEqualTo("xid 42");
    }

    @Test
    void anXidBeyondSixtyThreeBitsOrNotANumberIsRefused() {
        assertThatThrownBy(() -> TargetSpec.parse("xid:99999999999999999999"))
                .hasMessageContaining("is not a transaction id");
        assertThatThrownBy(() -> TargetSpec.parse("xid:abc")).hasMessageContaining("is not a transaction id");
    }

    @Test
    void restorePointsByName() {
        assertThat(TargetSpec.parse("point:before-migration").json())
                .isEqualTo(Map.of("restorePoint", "before-migration"));
        assertThat(TargetSpec.parse("point:x").describe()).isEqualTo("point x");
        assertThatThrownBy(() -> TargetSpec.parse("point:")).hasMessageContaining("needs a restore point's name");
    }

    @Test
    void anythingElseNamesTheAcceptedForms() {
        assertThatThrownBy(() -> TargetSpec.parse("yesterday"))
                .hasMessageContaining("'yesterday' is not a restore target")
                .hasMessageContaining("xid:1234")
                .hasMessageContaining("point:<name>");
        assertThatThrownBy(() -> TargetSpec.parse("")).hasMessageContaining("is not a restore target");
    }

    @Test
    void picocliSeesAConversionError() {
        assertThatThrownBy(() -> new TargetSpec.Converter().convert("soon"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'soon' is not a restore target");
    }
}
