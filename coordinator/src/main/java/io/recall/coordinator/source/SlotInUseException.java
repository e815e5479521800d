package io.recall.coordinator.source;

import io.recall.common.errors.ConflictException;

/** A replication slot Recall wants to drop is still streamed by a connection on the source. Maps to 409. */
public class SlotInUseException extends ConflictException {

    private final String slotName;
    private final Integer activePid;

    SlotInUseException(String slotName, Integer activePid, String message) {
        super(message);
        this.slotName = slotName;
        this.activePid = activePid;
    }

    public String slotName() {
        return slotName;
    }

    /** The walsender's process id on the source, when known. */
    public Integer activePid() {
        return activePid;
    }
}
