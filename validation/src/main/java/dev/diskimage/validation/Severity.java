package dev.diskimage.validation;

/** How much a finding weighs: a rejection, or a remark that does not change the verdict. */
public enum Severity {
    /** The image must not be used. */
    REJECT,
    /** Worth knowing (a dirty flag, lazy refcounts), but the image is acceptable. */
    WARN
}
