package io.recall.coordinator.source.probe;

/** A report for the user and the facts Recall keeps from the same probe. */
public record ProbeResult(ProbeReport report, ProbeFacts facts) {}
