package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared rules every number read from an image passes, and the whole-table walk. */
class BoundsTest {

    private static void assertFails(Runnable check, FindingCode code, long offset, String... message) {
        assertThatThrownBy(check::run).isInstanceOfSatisfying(InspectionFailure.class, f -> {
            assertThat(f.code()).isEqualTo(code);
            assertThat(f.offset()).isEqualTo(offset);
            for (String part : message) {
                assertThat(f.getMessage()).contains(part);
            }
        });
    }

    @Test
    void aRegionMayEndExactlyAtTheEndOfTheImageButNotOneBytePast() {
        Bounds.requireWithin(0, 1000, 1000, FindingCode.TRUNCATED, "table");
        Bounds.requireWithin(1000, 0, 1000, FindingCode.TRUNCATED, "table");
        Bounds.requireWithin(999, 1, 1000, FindingCode.TRUNCATED, "table");

        assertFails(() -> Bounds.requireWithin(999, 2, 1000, FindingCode.TRUNCATED, "table"), FindingCode.TRUNCATED,
                999, "table at offset 999 with length 2 lies outside the image of 1000 bytes");
        assertFails(() -> Bounds.requireWithin(1001, 0, 1000, FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, "l1"),
                FindingCode.QCOW2_TABLE_OUT_OF_BOUNDS, 1001);
    }

    @Test
    void negativeAndOverflowingRegionsAreOutsideAndReportedAtANonNegativeOffset() {
        assertFails(() -> Bounds.requireWithin(-1, 1, 1000, FindingCode.TRUNCATED, "table"), FindingCode.TRUNCATED, 0,
                "offset 18446744073709551615");
        assertFails(() -> Bounds.requireWithin(0, -1, 1000, FindingCode.TRUNCATED, "table"), FindingCode.TRUNCATED, 0,
                "length 18446744073709551615");
        assertFails(() -> Bounds.requireWithin(10, Long.MAX_VALUE, 1000, FindingCode.TRUNCATED, "table"),
                FindingCode.TRUNCATED, 10);
    }

    @Test
    void aRangeIncludesItsLimitsAndNamesTheFieldWhenOutside() {
        assertThat(Bounds.requireRange(9, 9, 16, 4, FindingCode.MALFORMED_HEADER, "cluster bits")).isEqualTo(9);
        assertThat(Bounds.requireRange(16, 9, 16, 4, FindingCode.MALFORMED_HEADER, "cluster bits")).isEqualTo(16);

        assertFails(() -> Bounds.requireRange(8, 9, 16, 20, FindingCode.MALFORMED_HEADER, "cluster bits"),
                FindingCode.MALFORMED_HEADER, 20, "cluster bits is 8, outside the allowed range 9..16");
        assertFails(() -> Bounds.requireRange(17, 9, 16, 20, FindingCode.MALFORMED_HEADER, "cluster bits"),
                FindingCode.MALFORMED_HEADER, 20, "cluster bits is 17");
    }

    @Test
    void aProductThatWouldOverflowIsAFindingNotAWrappedNumber() {
        assertThat(Bounds.multiply(1L << 31, 1L << 31, 0, FindingCode.MALFORMED_HEADER, "size")).isEqualTo(1L << 62);

        assertFails(() -> Bounds.multiply(1L << 32, 1L << 31, 48, FindingCode.MALFORMED_HEADER, "table size"),
                FindingCode.MALFORMED_HEADER, 48, "table size overflows: 4294967296 * 2147483648");
    }

    @Test
    void unsignedFieldsReadTheirTopBitAsValue() {
        ByteBuffer ones = ByteBuffer.wrap(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1});

        assertThat(Bounds.u8(ones, 0)).isEqualTo(0xff);
        assertThat(Bounds.u16(ones, 0)).isEqualTo(0xffff);
        assertThat(Bounds.u32(ones, 0)).isEqualTo(0xffff_ffffL);
        assertFails(() -> Bounds.u64(ones, 0, 64, FindingCode.MALFORMED_HEADER, "disk size"),
                FindingCode.MALFORMED_HEADER, 64, "disk size is 18446744073709551615, larger than any real image");
        ByteBuffer padded = ByteBuffer.allocate(16).putLong(8, -1);
        assertFails(() -> Bounds.u64(padded, 8, 64, FindingCode.MALFORMED_HEADER, "disk size"),
                FindingCode.MALFORMED_HEADER, 72);
        assertThat(Bounds.u64(ByteBuffer.allocate(8).putLong(0, Long.MAX_VALUE), 0, 0, FindingCode.MALFORMED_HEADER,
                "disk size")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aTableLargerThanOneChunkIsWalkedWholeWithEveryEntrysIndexAndOffset() {
        int entries = AllocationTable.CHUNK_ENTRIES + 3;
        ByteBuffer table = ByteBuffer.allocate(512 + entries * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries; i++) {
            table.putInt(512 + i * 4, i == entries - 1 ? -1 : i * 7);
        }
        byte[] image = table.array();
        List<long[]> seen = new ArrayList<>();

        AllocationTable.forEachEntry(new FileImageBytes(new OneBytePerReadChannel(image), image.length, 1 << 20), 512,
                entries, ByteOrder.LITTLE_ENDIAN, "BAT", "VHD", (index, entry, at) -> seen.add(
                        new long[] {index, entry, at}));

        assertThat(seen).hasSize(entries);
        assertThat(seen.get(0)).containsExactly(0, 0, 512);
        assertThat(seen.get(AllocationTable.CHUNK_ENTRIES)).containsExactly(AllocationTable.CHUNK_ENTRIES,
                AllocationTable.CHUNK_ENTRIES * 7L, 512 + AllocationTable.CHUNK_ENTRIES * 4L);
        assertThat(seen.get(entries - 1)).containsExactly(entries - 1, 0xffff_ffffL, 512 + (entries - 1) * 4L);
    }

    @Test
    void aTableOutgrowingTheBudgetIsRefusedNamingTheTableAndThePolicyKey() {
        int entries = 3 * AllocationTable.CHUNK_ENTRIES;
        byte[] image = new byte[300 * 1024];

        assertFails(() -> AllocationTable.forEachEntry(
                new FileImageBytes(new OneBytePerReadChannel(image), image.length, 128 * 1024), 0, entries,
                ByteOrder.BIG_ENDIAN, "VHD block allocation table", "dynamic VHDs", (index, entry, at) -> { }),
                // The first chunk is the sniff zone; the second runs out of the deep budget at block 30.
                FindingCode.READ_BUDGET_EXCEEDED, 30 * 4096L,
                "VHD block allocation table of 49152 entries (196608 bytes) must be read whole",
                "raise the policy's read_budget for dynamic VHDs");
    }

    @Test
    void aTableCutShortByTheEndOfTheImageIsTruncatedNotOverBudget() {
        byte[] image = new byte[1000];

        assertFails(() -> AllocationTable.forEachEntry(
                new FileImageBytes(new OneBytePerReadChannel(image), image.length, 1 << 20), 512, 200,
                ByteOrder.BIG_ENDIAN, "BAT", "VHD", (index, entry, at) -> { }), FindingCode.TRUNCATED, 512, "BAT");
    }
}
