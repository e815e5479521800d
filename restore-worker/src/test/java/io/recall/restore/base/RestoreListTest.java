package io.recall.restore.base;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestoreListTest {

    /** {@code pg_restore -l} of a PostgreSQL 15 dump with one of each kind of entry. */
    private static final String TOC = """
            ;
            ; Archive created at 2026-11-25 13:28:34 UTC
            ;     dbname: toc
            ;
            ; Selected TOC Entries:
            ;
            857; 1247 16436 TYPE public mood postgres
            221; 1255 16417 FUNCTION public trg() postgres
            214; 1259 16398 TABLE public customers postgres
            217; 1259 16428 SEQUENCE public gen_id_seq postgres
            215; 1259 16407 TABLE public orders postgres
            216; 1259 16421 MATERIALIZED VIEW public mv postgres
            3223; 0 0 TABLE ATTACH public p1 postgres
            3390; 0 16398 TABLE DATA public customers postgres
            3402; 0 0 SEQUENCE SET public gen_id_seq postgres
            3226; 2606 16406 CONSTRAINT public customers customers_name_key postgres
            3231; 2606 16411 CONSTRAINT public orders orders_pkey postgres
            3403; 0 0 COMMENT public CONSTRAINT orders_pkey ON orders postgres
            3229; 1259 16425 INDEX public orders_customer_id_idx postgres
            3240; 0 0 INDEX ATTACH public p1_k_idx postgres
            3386; 2618 16419 RULE public orders r1 postgres
            3243; 2620 16418 TRIGGER public customers t1 postgres
            3404; 0 0 COMMENT public TRIGGER t1 ON customers postgres
            3242; 2606 16412 FK CONSTRAINT public orders orders_customer_id_fkey postgres
            3405; 0 0 COMMENT public CONSTRAINT orders_customer_id_fkey ON orders postgres
            3388; 0 16407 ROW SECURITY public orders postgres
            3389; 3256 16420 POLICY public orders p1 postgres
            3222; 3466 16427 EVENT TRIGGER - e1 postgres
            3392; 0 16421 MATERIALIZED VIEW DATA public mv postgres
            3406; 0 0 COMMENT public TABLE orders postgres
            """;

    private static List<String> selected(String list) {
        return Arrays.stream(list.split("\n"))
                .filter(l -> !l.isBlank() && !l.startsWith(";"))
                .map(l -> l.substring(l.indexOf(';') + 1).strip().replaceFirst("^\\d+ \\d+ ", ""))
                .toList();
    }

    @Test
    void tablesDataKeysAndIndexesComeBeforeReplay() {
        RestoreList l = RestoreList.split(TOC);
        assertThat(selected(l.beforeReplay()))
                .containsExactly(
                        "TYPE public mood postgres",
                        "FUNCTION public trg() postgres",
                        "TABLE public customers postgres",
                        "SEQUENCE public gen_id_seq postgres",
                        "TABLE public orders postgres",
                        "MATERIALIZED VIEW public mv postgres",
                        "TABLE ATTACH public p1 postgres",
                        "TABLE DATA public customers postgres",
                        "SEQUENCE SET public gen_id_seq postgres",
                        "CONSTRAINT public customers customers_name_key postgres",
                        "CONSTRAINT public orders orders_pkey postgres",
                        "INDEX public orders_customer_id_idx postgres",
                        "INDEX ATTACH public p1_k_idx postgres",
                        "COMMENT public TABLE orders postgres");
        assertThat(l.entriesBefore()).isEqualTo(14);
    }

    @Test
    void whatWouldActOnReplayedRowsComesAfterIt() {
        RestoreList l = RestoreList.split(TOC);
        assertThat(selected(l.afterReplay()))
                .containsExactly(
                        "COMMENT public CONSTRAINT orders_pkey ON orders postgres",
                        "RULE public orders r1 postgres",
                        "TRIGGER public customers t1 postgres",
                        "COMMENT public TRIGGER t1 ON customers postgres",
                        "FK CONSTRAINT public orders orders_customer_id_fkey postgres",
                        "COMMENT public CONSTRAINT orders_customer_id_fkey ON orders postgres",
                        "ROW SECURITY public orders postgres",
                        "POLICY public orders p1 postgres",
                        "EVENT TRIGGER - e1 postgres",
                        "MATERIALIZED VIEW DATA public mv postgres");
        assertThat(l.entriesAfter()).isEqualTo(10);
    }

    @Test
    void eachListKeepsEveryLineWithTheOthersCommentedOut() {
        RestoreList l = RestoreList.split(TOC);
        long lines = TOC.lines().count();
        assertThat(l.beforeReplay().lines().count()).isEqualTo(lines);
        assertThat(l.afterReplay().lines().count()).isEqualTo(lines);
        assertThat(l.beforeReplay()).contains(";3242; 2606 16412 FK CONSTRAINT public orders");
        assertThat(l.afterReplay()).contains(";3390; 0 16398 TABLE DATA public customers postgres");
    }
}
