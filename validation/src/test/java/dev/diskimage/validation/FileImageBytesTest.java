package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FileImageBytesTest {

    private static byte[] counting(int size) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) i;
        }
        return data;
    }

    @Test
    void readsAcrossBlockBoundariesThroughOneBytePerReadChannel() {
        byte[] data = counting(3 * FileImageBytes.BLOCK + 17);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 1 << 20);

        ByteBuffer read = bytes.read(FileImageBytes.BLOCK - 3, FileImageBytes.BLOCK + 10);

        assertThat(read.remaining()).isEqualTo(FileImageBytes.BLOCK + 10);
        for (int i = 0; i < read.remaining(); i++) {
            assertThat(read.get(i)).isEqualTo(data[FileImageBytes.BLOCK - 3 + i]);
        }
    }

    @Test
    void returnsShortBufferAtEndOfImageAndEmptyBeyondIt() {
        byte[] data = counting(100);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 1 << 20);

        assertThat(bytes.read(90, 50).remaining()).isEqualTo(10);
        assertThat(bytes.read(100, 50).remaining()).isZero();
        assertThat(bytes.read(Long.MAX_VALUE - 1, 50).remaining()).isZero();
    }

    @Test
    void readExactlyFailsWithTruncatedNamingTheStructure() {
        byte[] data = counting(100);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 1 << 20);

        assertThatThrownBy(() -> bytes.readExactly(64, 72, "qcow2 header"))
                .isInstanceOfSatisfying(InspectionFailure.class, failure -> {
                    assertThat(failure.code()).isEqualTo(FindingCode.TRUNCATED);
                    assertThat(failure.getMessage()).contains("qcow2 header");
                });
    }

    @Test
    void rereadingCachedBlocksCostsNothingFromTheBudget() {
        byte[] data = counting(10 * FileImageBytes.BLOCK);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 2 * FileImageBytes.BLOCK);

        bytes.read(0, 512);
        bytes.read(100, 512);
        bytes.read(FileImageBytes.BLOCK, 16);

        assertThat(bytes.bytesRead()).isEqualTo(2 * FileImageBytes.BLOCK);
    }

    @Test
    void refusesToReadBeyondTheBudget() {
        byte[] data = counting(10 * FileImageBytes.BLOCK);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 2 * FileImageBytes.BLOCK);

        assertThatThrownBy(() -> bytes.read(0, 3 * FileImageBytes.BLOCK))
                .isInstanceOfSatisfying(InspectionFailure.class,
                        failure -> assertThat(failure.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED));
        assertThat(bytes.bytesRead()).isLessThanOrEqualTo(2 * FileImageBytes.BLOCK);
    }

    @Test
    void refusesAHugeSingleReadBeforeAllocatingIt() {
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(new byte[16]), Long.MAX_VALUE / 4, 1 << 20);

        assertThatThrownBy(() -> bytes.read(0, Integer.MAX_VALUE))
                .isInstanceOfSatisfying(InspectionFailure.class,
                        failure -> assertThat(failure.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED));
        assertThat(bytes.bytesRead()).isZero();
    }

    @Test
    void readExactlyOfARegionOutsideTheImageIsTruncatedNamingTheRegionNotAProgrammingError() {
        byte[] data = counting(100);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 1 << 20);

        assertTruncatedOutside(bytes, -8, 8, "qcow2 header at offset 18446744073709551608 with length 8"
                + " lies outside the image of 100 bytes", 0);
        assertTruncatedOutside(bytes, 200, 8, "qcow2 header at offset 200 with length 8"
                + " lies outside the image of 100 bytes", 200);
        assertTruncatedOutside(bytes, Long.MAX_VALUE - 4, 8, "qcow2 header at offset " + (Long.MAX_VALUE - 4)
                + " with length 8 lies outside the image of 100 bytes", Long.MAX_VALUE - 4);
    }

    /** A region that does not lie in the image fails with TRUNCATED, the bounds message and its offset. */
    static void assertTruncatedOutside(ImageBytes bytes, long offset, int length, String message, long findingOffset) {
        assertThatThrownBy(() -> bytes.readExactly(offset, length, "qcow2 header"))
                .isInstanceOfSatisfying(InspectionFailure.class, failure -> {
                    assertThat(failure.code()).isEqualTo(FindingCode.TRUNCATED);
                    assertThat(failure.offset()).isEqualTo(findingOffset);
                    assertThat(failure.getMessage()).isEqualTo(message);
                });
    }

    @Test
    void boundsRejectOverflowingRegions() {
        assertThatThrownBy(() -> Bounds.requireWithin(Long.MAX_VALUE - 10, 100, Long.MAX_VALUE, FindingCode.TRUNCATED, "x"))
                .isInstanceOf(InspectionFailure.class);
        assertThatThrownBy(() -> Bounds.requireWithin(-1, 1, 100, FindingCode.TRUNCATED, "x"))
                .isInstanceOf(InspectionFailure.class);
        assertThatThrownBy(() -> Bounds.multiply(Long.MAX_VALUE / 2, 3, 0, FindingCode.MALFORMED_HEADER, "x"))
                .isInstanceOf(InspectionFailure.class);
        Bounds.requireWithin(0, 100, 100, FindingCode.TRUNCATED, "whole file");
    }

    private static final int BLOCK = FileImageBytes.BLOCK;

    private static void assertOverBudget(FileImageBytes bytes, long offset) {
        assertThatThrownBy(() -> bytes.read(offset, 1))
                .isInstanceOfSatisfying(InspectionFailure.class, failure -> {
                    assertThat(failure.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED);
                    assertThat(failure.offset()).isEqualTo(offset / BLOCK * BLOCK);
                });
    }

    @Test
    void theSniffZoneIsTheFirstSixteenAndLastTwoBlocksAndIsPaidFromItsOwnReserve() {
        byte[] data = counting(100 * BLOCK);
        // A budget of exactly the sniff reserve leaves nothing for deep reads.
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 18 * BLOCK);

        assertOverBudget(bytes, 16 * BLOCK);
        assertOverBudget(bytes, 97 * BLOCK + 5);
        bytes.read(0, 16 * BLOCK);
        bytes.read(98 * BLOCK, 2 * BLOCK);

        assertThat(bytes.bytesRead()).isEqualTo(18 * BLOCK);
        assertOverBudget(bytes, 50 * BLOCK);
    }

    @Test
    void deepReadsSpendWhatTheBudgetHoldsBeyondTheSniffReserveAndNoMore() {
        byte[] data = counting(100 * BLOCK);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 20 * BLOCK);

        bytes.read(50 * BLOCK, 2 * BLOCK);
        assertOverBudget(bytes, 52 * BLOCK);
        // The sniff zone is still whole for every other inspector.
        assertThat(bytes.read(0, 16 * BLOCK).remaining()).isEqualTo(16 * BLOCK);
        assertThat(bytes.read(98 * BLOCK, 2 * BLOCK).remaining()).isEqualTo(2 * BLOCK);
        assertThat(bytes.bytesRead()).isEqualTo(20 * BLOCK);
    }

    @Test
    void aBudgetSmallerThanTheSniffZoneCapsItToo() {
        byte[] data = counting(100 * BLOCK);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 2 * BLOCK);

        bytes.read(0, BLOCK);
        bytes.read(99 * BLOCK, BLOCK);
        assertOverBudget(bytes, BLOCK);
        assertThat(bytes.bytesRead()).isEqualTo(2 * BLOCK);
    }

    @Test
    void aShortLastBlockCostsOnlyItsBytesAndIsInTheSniffZone() {
        byte[] data = counting(40 * BLOCK + 100);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 18 * BLOCK);

        ByteBuffer last = bytes.read(40 * BLOCK, 200);
        bytes.read(39 * BLOCK, 1);

        assertThat(last.remaining()).isEqualTo(100);
        assertThat(last.get(99)).isEqualTo(data[40 * BLOCK + 99]);
        assertThat(bytes.bytesRead()).isEqualTo(BLOCK + 100);
        assertOverBudget(bytes, 38 * BLOCK);
    }

    @Test
    void aFileThatShrankUnderneathReadsWhatIsLeftWithoutWaitingForMore() {
        byte[] data = counting(BLOCK + 100);
        FileImageBytes shrunk = new FileImageBytes(new OneBytePerReadChannel(data), 2 * BLOCK, 1 << 20);

        ByteBuffer read = shrunk.read(BLOCK, 200);

        assertThat(read.remaining()).isEqualTo(100);
        assertThat(read.get(99)).isEqualTo(data[BLOCK + 99]);
        assertThat(shrunk.bytesRead()).isEqualTo(BLOCK);
    }

    @Test
    void aChannelThatFailsMakesTheBlockUnreadableAtItsOffset(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("img"), counting(3 * BLOCK));
        java.nio.channels.SeekableByteChannel channel = java.nio.file.Files.newByteChannel(file);
        channel.close();
        FileImageBytes bytes = new FileImageBytes(channel, 3 * BLOCK, 1 << 20);

        assertThatThrownBy(() -> bytes.read(2 * BLOCK + 10, 4))
                .isInstanceOfSatisfying(InspectionFailure.class, failure -> {
                    assertThat(failure.code()).isEqualTo(FindingCode.UNREADABLE);
                    assertThat(failure.offset()).isEqualTo(2 * BLOCK);
                    assertThat(failure.getMessage()).startsWith("cannot read the image: ");
                });
        assertThat(bytes.bytesRead()).isZero();
    }

    @Test
    void aChannelThatStopsMakingProgressEndsTheBlockInsteadOfSpinning() {
        byte[] data = counting(BLOCK);
        // Hands out 10 bytes, then reads nothing forever without reporting the end of file.
        java.nio.channels.SeekableByteChannel stalling = new OneBytePerReadChannel(data) {
            private int calls;

            @Override
            public int read(ByteBuffer dst) {
                return ++calls > 10 ? 0 : super.read(dst);
            }
        };
        FileImageBytes bytes = new FileImageBytes(stalling, BLOCK, 1 << 20);

        assertThat(bytes.read(0, 100).remaining()).isEqualTo(10);
    }

    @Test
    void aReadAtOrPastTheEndOrOfNothingCostsNothing() {
        byte[] data = counting(100);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 1 << 20);

        assertThat(bytes.read(100, 50).remaining()).isZero();
        assertThat(bytes.read(0, 0).remaining()).isZero();
        assertThat(bytes.read(50, 0).remaining()).isZero();
        assertThat(bytes.bytesRead()).isZero();
    }

    @Test
    void aLongReadNearTheEndIsChargedOnlyForTheBytesThatExist() {
        byte[] data = counting(10 * BLOCK);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 2 * BLOCK);

        assertThat(bytes.read(10 * BLOCK - 10, 3 * BLOCK).remaining()).isEqualTo(10);
    }

    @Test
    void oneReadOfExactlyTheBudgetIsAllowed() {
        byte[] data = counting(10 * BLOCK);
        FileImageBytes bytes = new FileImageBytes(new OneBytePerReadChannel(data), data.length, 2 * BLOCK);

        assertThat(bytes.read(0, 2 * BLOCK).remaining()).isEqualTo(2 * BLOCK);
        assertThat(bytes.bytesRead()).isEqualTo(2 * BLOCK);
    }
}
