package dev.diskimage.validation;


/**
 * A stream-backed {@link ImageBytes} does not (yet, or any more) hold the bytes an inspector
 * asked for. Before end of stream this tells the capturing stream which region to keep; at end
 * of stream it becomes a {@link FindingCode#STREAM_REGION_UNAVAILABLE} rejection.
 */
final class RegionUnavailableException extends InspectionFailure {
    private static final long serialVersionUID = 1L;

    private final int length;

    RegionUnavailableException(long offset, int length) {
        super(FindingCode.STREAM_REGION_UNAVAILABLE, offset,
                "bytes " + offset + ".." + (offset + length) + " were needed but had already passed the stream");
        this.length = length;
    }

    int length() {
        return length;
    }
}
