package dev.diskimage.validation;

import java.nio.ByteBuffer;

/**
 * Random access to the bytes of one image, as inspectors see it: a file read through a bounded
 * positional reader, or the regions a stream kept as they passed. Every byte an inspector sees
 * comes through here, so the read budget and the bounds rules hold for all of them.
 */
interface ImageBytes {

    /**
     * Size of the image in bytes. While a stream is still being read the size is not known yet,
     * and this returns {@link #UNKNOWN_SIZE}, a huge value that lets bounds checks pass so that
     * the inspector goes on to name the regions it needs; the final run at end of stream sees
     * the real size.
     */
    long size();

    /** Marker size used before a stream's end: larger than any real file. */
    long UNKNOWN_SIZE = Long.MAX_VALUE / 2;

    /**
     * Reads up to {@code length} bytes at {@code offset}. The result is shorter than requested
     * only at end of image. The buffer is big-endian, positioned at 0; set the order you need.
     *
     * @throws InspectionFailure with {@link FindingCode#READ_BUDGET_EXCEEDED} when the budget is
     *         spent, {@link FindingCode#UNREADABLE} on an I/O error, or a
     *         {@link RegionUnavailableException} when a stream no longer has the bytes
     */
    ByteBuffer read(long offset, int length);

    /**
     * Reads exactly {@code length} bytes at {@code offset}, or fails with
     * {@link FindingCode#TRUNCATED} naming {@code what} when the image ends first.
     */
    default ByteBuffer readExactly(long offset, int length, String what) {
        Bounds.requireWithin(offset, length, size(), FindingCode.TRUNCATED, what);
        ByteBuffer bytes = read(offset, length);
        if (bytes.remaining() < length) {
            throw new InspectionFailure(FindingCode.TRUNCATED, offset,
                    what + " at offset " + offset + " needs " + length + " bytes but the image ends after "
                            + bytes.remaining());
        }
        return bytes;
    }

    /** Total bytes fetched from the underlying file or stream so far, for the read budget. */
    long bytesRead();
}
