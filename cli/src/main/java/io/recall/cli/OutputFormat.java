package io.recall.cli;

/** How results are printed on stdout. */
public enum OutputFormat {
    /** aligned tables and fields for people */
    TABLE,
    /** the API's JSON as it answered, pretty-printed, for scripts ({@code jq}) */
    JSON
}
