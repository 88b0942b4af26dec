package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Walking a block allocation table whole, chunk by chunk. */
class AllocationTableTest {

    @Test
    void anEmptyTableIsNotReadWhereverItClaimsToLie() {
        byte[] image = new byte[4096];
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(image), image.length,
                InspectorHarness.BUDGET);
        List<Long> seen = new ArrayList<>();

        // A header announcing no entries at an offset past the end: nothing to check, nothing truncated.
        AllocationTable.forEachEntry(bytes, 1 << 20, 0, ByteOrder.BIG_ENDIAN, "VHD block allocation table", "VHD",
                (index, entry, offset) -> seen.add(index));

        assertThat(seen).isEmpty();
        assertThat(bytes.bytesRead()).isZero();
    }

    @Test
    void aTableOfExactlyOneChunkEndingAtTheEndOfTheFileIsCheckedWhole() {
        int entries = AllocationTable.CHUNK_ENTRIES;
        byte[] image = new byte[512 + entries * 4];
        java.nio.ByteBuffer.wrap(image).putInt(512 + (entries - 1) * 4, 7);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(image), image.length,
                InspectorHarness.BUDGET);
        List<long[]> seen = new ArrayList<>();

        AllocationTable.forEachEntry(bytes, 512, entries, ByteOrder.BIG_ENDIAN, "VHD block allocation table", "VHD",
                (index, entry, offset) -> seen.add(new long[] {index, entry, offset}));

        assertThat(seen).hasSize(entries);
        assertThat(seen.get(entries - 1)).containsExactly(entries - 1, 7, image.length - 4);
    }

    @Test
    void aTableLargerThanTheBudgetIsRefusedNamingItsSizeAndThePolicyKey() {
        int entries = 2 * AllocationTable.CHUNK_ENTRIES;
        long offset = 50L * FileImageBytes.BLOCK;
        byte[] image = new byte[(int) offset + entries * 4];
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(image), image.length,
                2 * FileImageBytes.BLOCK);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AllocationTable.forEachEntry(bytes, offset, entries,
                ByteOrder.BIG_ENDIAN, "VHD block allocation table", "dynamic VHDs", (index, entry, at) -> { }))
                .isInstanceOfSatisfying(InspectionFailure.class, failure -> {
                    assertThat(failure.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED);
                    assertThat(failure.offset()).isEqualTo(offset);
                    assertThat(failure.getMessage()).startsWith("VHD block allocation table of " + entries
                            + " entries (" + entries * 4 + " bytes) must be read whole")
                            .contains("raise the policy's read_budget for dynamic VHDs; ");
                });
    }
}
