package dev.diskimage.validation;


/**
 * Thrown inside an inspector when it cannot go on: the file ends early, a field is absurd, the
 * read budget is spent. The runner turns it into a rejecting {@link Finding}, so inspectors can
 * stop at the first fatal problem without threading error values through every parse step.
 */
class InspectionFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final FindingCode code;
    private final long offset;

    InspectionFailure(FindingCode code, long offset, String message) {
        super(message, null, false, false);
        this.code = code;
        this.offset = offset;
    }

    FindingCode code() {
        return code;
    }

    long offset() {
        return offset;
    }

    Finding toFinding() {
        return Finding.reject(code, offset, getMessage());
    }
}
