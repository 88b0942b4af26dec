package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * What a stream keeps as it passes: the head, regions asked for ahead of the position, and the
 * tail window; what each costs from the budget; and what can no longer be had.
 */
class StreamCaptureTest {
    private static final int HEAD = StreamImageBytes.HEAD;
    private static final int TAIL = StreamImageBytes.TAIL;

    /** Byte {@code i} of every test stream: a pattern that tells any two nearby offsets apart. */
    private static byte at(long i) {
        return (byte) (i * 31 + (i >> 8) * 7);
    }

    private static byte[] pattern(long from, int length) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = at(from + i);
        }
        return data;
    }

    /** Feeds the stream's bytes up to {@code to}, in one chunk. */
    private static void feedTo(StreamImageBytes bytes, long to) {
        int length = (int) (to - bytes.position());
        bytes.accept(pattern(bytes.position(), length), 0, length);
    }

    private static byte[] array(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static void assertUnavailable(StreamImageBytes bytes, long offset, int length) {
        assertThatThrownBy(() -> bytes.read(offset, length))
                .isInstanceOfSatisfying(RegionUnavailableException.class, e -> {
                    assertThat(e.code()).isEqualTo(FindingCode.STREAM_REGION_UNAVAILABLE);
                    assertThat(e.offset()).isEqualTo(offset);
                    assertThat(e.length()).isEqualTo(length);
                    assertThat(e.getMessage()).isEqualTo("bytes " + offset + ".." + (offset + length)
                            + " were needed but had already passed the stream");
                });
    }

    private static void assertOverBudget(StreamImageBytes bytes, long offset, int length) {
        assertThatThrownBy(() -> bytes.read(offset, length))
                .isInstanceOfSatisfying(InspectionFailure.class, e -> {
                    assertThat(e.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED);
                    assertThat(e.offset()).isEqualTo(offset);
                });
    }

    @Test
    void theHeadIsReadableOnceItHasPassedAndNotBefore() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, 1000);

        assertThat(array(bytes.read(0, 1000))).isEqualTo(pattern(0, 1000));
        assertUnavailable(bytes, 990, 11);
        assertThat(bytes.size()).isEqualTo(ImageBytes.UNKNOWN_SIZE);
        assertThat(bytes.bytesRead()).isEqualTo(1000);
    }

    @Test
    void aRegionAskedForAheadIsKeptAndReadableExactlyWhenItsLastBytePasses() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, 100_000);

        assertUnavailable(bytes, 100_000, 16);
        assertThat(bytes.nextRegionEnd()).isEqualTo(100_016);
        feedTo(bytes, 100_015);
        assertUnavailable(bytes, 100_000, 16);
        feedTo(bytes, 100_016);

        assertThat(array(bytes.read(100_000, 16))).isEqualTo(pattern(100_000, 16));
        assertThat(array(bytes.read(100_004, 8))).isEqualTo(pattern(100_004, 8));
        assertThat(bytes.nextRegionEnd()).isEqualTo(StreamImageBytes.NONE_PENDING);
        feedTo(bytes, 300_000);
        assertThat(array(bytes.read(100_000, 16))).isEqualTo(pattern(100_000, 16));
    }

    @Test
    void theNearestPendingRegionEndComesFirstWhateverTheOrderTheyWereAskedIn() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, HEAD);
        assertThat(bytes.nextRegionEnd()).isEqualTo(StreamImageBytes.NONE_PENDING);

        assertUnavailable(bytes, 200_000, 10);
        assertUnavailable(bytes, 100_000, 10);
        assertUnavailable(bytes, 150_000, 10);

        assertThat(bytes.nextRegionEnd()).isEqualTo(100_010);
        feedTo(bytes, 100_010);
        assertThat(bytes.nextRegionEnd()).isEqualTo(150_010);
    }

    @Test
    void bytesThatHavePassedUnaskedAreGoneAndCostNothing() {
        StreamImageBytes bytes = new StreamImageBytes(HEAD + 100);
        feedTo(bytes, 100_000);

        assertUnavailable(bytes, 99_999, 1);
        assertUnavailable(bytes, 70_000, 100);
        // Nothing was registered for them: the whole extra budget is still there for what lies ahead.
        assertUnavailable(bytes, 100_000, 100);
        feedTo(bytes, 100_100);
        assertThat(array(bytes.read(100_000, 100))).isEqualTo(pattern(100_000, 100));
        assertUnavailable(bytes, 99_999, 1);
    }

    @Test
    void theBudgetCoversTheHeadAndEveryRegionUpToItsLastByte() {
        StreamImageBytes bytes = new StreamImageBytes(HEAD + 100);
        feedTo(bytes, HEAD);

        assertUnavailable(bytes, 100_000, 60);
        assertUnavailable(bytes, 200_000, 40);
        assertOverBudget(bytes, 300_000, 1);
        // A region inside one already kept costs nothing more.
        assertUnavailable(bytes, 100_010, 50);
        feedTo(bytes, 250_000);
        bytes.end();

        assertThat(bytes.bytesRead()).isEqualTo(HEAD + 100 + TAIL);
    }

    @Test
    void aRegionSpanningKeptRegionsPaysOnlyForTheGapsBetweenThem() {
        StreamImageBytes exact = new StreamImageBytes(HEAD + 300);
        StreamImageBytes short1 = new StreamImageBytes(HEAD + 299);
        for (StreamImageBytes bytes : new StreamImageBytes[] {exact, short1}) {
            feedTo(bytes, HEAD);
            // Asked for out of order, and one nested inside the first: the gaps are 100_100..100_200 only.
            assertUnavailable(bytes, 100_200, 100);
            assertUnavailable(bytes, 100_000, 100);
            assertUnavailable(bytes, 100_210, 10);
        }

        assertUnavailable(exact, 100_050, 200);
        assertOverBudget(short1, 100_050, 200);
        feedTo(exact, 100_300);
        assertThat(array(exact.read(100_050, 200))).isEqualTo(pattern(100_050, 200));
    }

    @Test
    void aRegionReachingPastTheKeptRegionsPaysForItsTail() {
        StreamImageBytes exact = new StreamImageBytes(HEAD + 150);
        StreamImageBytes short1 = new StreamImageBytes(HEAD + 149);
        for (StreamImageBytes bytes : new StreamImageBytes[] {exact, short1}) {
            feedTo(bytes, HEAD);
            assertUnavailable(bytes, 100_000, 100);
        }

        // 100_000..100_100 is kept; 100_100..100_150 is new.
        assertUnavailable(exact, 100_050, 100);
        assertOverBudget(short1, 100_050, 100);
    }

    @Test
    void aSingleReadLargerThanTheBudgetIsRefusedBeforeAnythingIsKept() {
        StreamImageBytes bytes = new StreamImageBytes(HEAD);

        assertThatThrownBy(() -> bytes.read(0, HEAD + 1))
                .isInstanceOfSatisfying(InspectionFailure.class, e -> {
                    assertThat(e.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED);
                    assertThat(e.getMessage()).contains("a single read of " + (HEAD + 1) + " bytes");
                });
        // Exactly the budget is one read: the head, not yet passed.
        assertUnavailable(bytes, 0, HEAD);
    }

    @Test
    void theTailWindowHoldsTheLastBytesOfTheStreamOnceItHasEnded() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        // One chunk much larger than the window: only its last TAIL bytes stay.
        feedTo(bytes, 300_000);
        assertUnavailable(bytes, 300_000 - 512, 512);
        bytes.end();

        assertThat(bytes.size()).isEqualTo(300_000);
        assertThat(array(bytes.read(300_000 - TAIL, TAIL))).isEqualTo(pattern(300_000 - TAIL, TAIL));
        assertThat(array(bytes.read(300_000 - 512, 1024))).isEqualTo(pattern(300_000 - 512, 512));
        assertUnavailable(bytes, 300_000 - TAIL - 1, 2);
        assertThat(bytes.read(300_000, 10).remaining()).isZero();
        assertThat(bytes.read(0, 0).remaining()).isZero();
        assertThat(bytes.bytesRead()).isEqualTo(HEAD + TAIL + 0L);
    }

    @Test
    void theTailWindowWrapsAcrossManySmallChunks() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        while (bytes.position() < 200_003) {
            feedTo(bytes, Math.min(200_003, bytes.position() + 777));
        }
        bytes.end();

        assertThat(array(bytes.read(200_003 - TAIL, TAIL))).isEqualTo(pattern(200_003 - TAIL, TAIL));
    }

    @Test
    void aShortStreamIsAllHeadAndAllTailButCountsOnce() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, 5000);
        bytes.end();

        assertThat(array(bytes.read(4000, 2000))).isEqualTo(pattern(4000, 1000));
        assertThat(bytes.bytesRead()).isEqualTo(5000);
    }

    @Test
    void aStreamBetweenHeadAndTailCountsTheHeadAndTheWindowOnce() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, HEAD + 1000);
        assertThat(bytes.bytesRead()).isEqualTo(HEAD);
        bytes.end();

        assertThat(bytes.bytesRead()).isEqualTo(HEAD + 1000);
    }

    @Test
    void readExactlyOutsideAnEndedStreamIsTruncatedNamingTheRegionLikeAFile() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, 100);
        bytes.end();

        FileImageBytesTest.assertTruncatedOutside(bytes, -8, 8, "qcow2 header at offset 18446744073709551608"
                + " with length 8 lies outside the image of 100 bytes", 0);
        FileImageBytesTest.assertTruncatedOutside(bytes, 96, 8, "qcow2 header at offset 96 with length 8"
                + " lies outside the image of 100 bytes", 96);
        FileImageBytesTest.assertTruncatedOutside(bytes, Long.MAX_VALUE - 4, 8, "qcow2 header at offset "
                + (Long.MAX_VALUE - 4) + " with length 8 lies outside the image of 100 bytes", Long.MAX_VALUE - 4);
        assertThat(array(bytes.readExactly(92, 8, "qcow2 header"))).isEqualTo(pattern(92, 8));
    }

    @Test
    void aReadOfExactlyTheKeptHeadOrEndingExactlyAtTheEndIsWhole() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);
        feedTo(bytes, HEAD);
        assertThat(array(bytes.read(0, HEAD))).isEqualTo(pattern(0, HEAD));
        assertUnavailable(bytes, 0, HEAD + 1);
        feedTo(bytes, 3 * HEAD);
        bytes.end();

        assertThat(array(bytes.read(3 * HEAD - 1, 1))).isEqualTo(pattern(3 * HEAD - 1, 1));
        assertThat(array(bytes.read(3 * HEAD - 1, 100))).isEqualTo(pattern(3 * HEAD - 1, 1));
        assertThat(bytes.read(3 * HEAD, 1).remaining()).isZero();
        assertThat(bytes.read(Long.MAX_VALUE - 1, 100).remaining()).isZero();
    }

    @Test
    void negativeOffsetsAndLengthsAreProgrammingErrors() {
        StreamImageBytes bytes = new StreamImageBytes(1 << 20);

        assertThatThrownBy(() -> bytes.read(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bytes.read(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyBytesOverlappingARegionRefusedForTheBudgetAreReportedAsOverBudget() {
        StreamImageBytes bytes = new StreamImageBytes(HEAD);
        feedTo(bytes, HEAD);
        assertOverBudget(bytes, 200_000, 100);
        feedTo(bytes, 300_000);
        bytes.end();

        assertOverBudget(bytes, 200_000, 100);
        assertOverBudget(bytes, 200_099, 10);
        assertOverBudget(bytes, 199_990, 11);
        assertUnavailable(bytes, 199_990, 10);
        assertUnavailable(bytes, 200_100, 10);
    }
}
