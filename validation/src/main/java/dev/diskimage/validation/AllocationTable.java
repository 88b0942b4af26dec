package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Walks a table of unsigned 32-bit entries (a VHD or Parallels block allocation table) whole,
 * in chunks paid from the read budget, so that every allocated entry is checked however large
 * the table is. A table that does not fit the budget is refused with a message that says which
 * table and which policy key to raise: half-checking it would let the unread part point anywhere.
 */
final class AllocationTable {
    /** Entries read per chunk: 64 KiB. */
    static final int CHUNK_ENTRIES = 16 * 1024;
    private static final int ENTRY_SIZE = Integer.BYTES;

    /** Receives each entry with its index and the offset it was read from. */
    @FunctionalInterface
    interface EntryCheck {
        void check(long index, long entry, long entryOffset);
    }

    private AllocationTable() {
    }

    /**
     * Calls {@code check} for each of the {@code entries} entries at {@code offset}.
     *
     * @param what  the table's name for messages ("VHD block allocation table")
     * @param which the kind of image whose tables grow this large, for the budget hint
     * @throws InspectionFailure {@link FindingCode#READ_BUDGET_EXCEEDED} when the table outgrows
     *         the budget, or whatever {@code check} throws
     */
    static void forEachEntry(ImageBytes image, long offset, long entries, ByteOrder order, String what, String which,
            EntryCheck check) {
        for (long first = 0; first < entries; first += CHUNK_ENTRIES) {
            int count = (int) Math.min(CHUNK_ENTRIES, entries - first);
            long at = offset + first * ENTRY_SIZE;
            ByteBuffer chunk = readChunk(image, at, count * ENTRY_SIZE, entries, what, which).order(order);
            for (int i = 0; i < count; i++) {
                check.check(first + i, Bounds.u32(chunk, i * ENTRY_SIZE), at + (long) i * ENTRY_SIZE);
            }
        }
    }

    private static ByteBuffer readChunk(ImageBytes image, long offset, int length, long entries, String what,
            String which) {
        try {
            return image.readExactly(offset, length, what);
        } catch (InspectionFailure failure) {
            if (failure.code() != FindingCode.READ_BUDGET_EXCEEDED) {
                throw failure;
            }
            throw new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, failure.offset(),
                    what + " of " + entries + " entries (" + entries * ENTRY_SIZE + " bytes) must be read whole to"
                            + " prove every block lies inside the file, and that exceeds the read budget: raise the"
                            + " policy's read_budget for " + which + "; " + failure.getMessage());
        }
    }
}
