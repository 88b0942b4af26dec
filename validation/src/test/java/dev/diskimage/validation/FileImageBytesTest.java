package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void boundsRejectOverflowingRegions() {
        assertThatThrownBy(() -> Bounds.requireWithin(Long.MAX_VALUE - 10, 100, Long.MAX_VALUE, FindingCode.TRUNCATED, "x"))
                .isInstanceOf(InspectionFailure.class);
        assertThatThrownBy(() -> Bounds.requireWithin(-1, 1, 100, FindingCode.TRUNCATED, "x"))
                .isInstanceOf(InspectionFailure.class);
        assertThatThrownBy(() -> Bounds.multiply(Long.MAX_VALUE / 2, 3, 0, FindingCode.MALFORMED_HEADER, "x"))
                .isInstanceOf(InspectionFailure.class);
        Bounds.requireWithin(0, 100, 100, FindingCode.TRUNCATED, "whole file");
    }
}
