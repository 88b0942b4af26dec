package dev.diskimage.validation;

/** The outcome of validating one image. */
public enum Verdict {
    /** The image is what it claims to be, self-contained, and within policy. */
    ACCEPT,
    /** At least one rejecting finding. */
    REJECT
}
