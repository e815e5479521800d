package io.recall.coordinator.catalog;

import java.util.List;

/**
 * One page of a source's segments, in LSN order.
 *
 * @param next pass it as {@code after} for the next page; absent on the last page
 */
public record SegmentPage(List<SegmentView> segments, String next) {

    public SegmentPage {
        segments = List.copyOf(segments);
    }
}
